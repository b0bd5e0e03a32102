/**
 * The fields of A1111's StableDiffusionTxt2ImgProcessingAPI and StableDiffusionImg2ImgProcessingAPI
 * (modules/api/models.py over modules/processing.py's dataclasses, v1.10), in the order pydantic
 * lists them: the StableDiffusionProcessing fields the API allows, the mode's own fields, then the
 * API's additions. Defaults are A1111's; a field redefined by a subclass keeps its first position
 * with the subclass's default, as dataclasses do.
 */
import type { FieldSpec, FieldKind, FieldValue } from './fields.js';

const f = (name: string, kind: FieldKind, def: FieldValue): FieldSpec => ({ name, kind, default: def });

/** StableDiffusionProcessing's init fields minus API_NOT_ALLOWED; denoising_strength is set per mode. */
function processingFields(denoisingStrength: number): FieldSpec[] {
  return [
    f('prompt', 'str', ''),
    f('negative_prompt', 'str', ''),
    f('styles', 'str-list', null),
    f('seed', 'int', -1),
    f('subseed', 'int', -1),
    f('subseed_strength', 'float', 0),
    f('seed_resize_from_h', 'int', -1),
    f('seed_resize_from_w', 'int', -1),
    f('sampler_name', 'str', null),
    f('scheduler', 'str', null),
    f('batch_size', 'int', 1),
    f('n_iter', 'int', 1),
    f('steps', 'int', 50),
    f('cfg_scale', 'float', 7.0),
    f('width', 'int', 512),
    f('height', 'int', 512),
    f('restore_faces', 'bool', null),
    f('tiling', 'bool', null),
    f('do_not_save_samples', 'bool', false),
    f('do_not_save_grid', 'bool', false),
    f('eta', 'float', null),
    f('denoising_strength', 'float', denoisingStrength),
    f('s_min_uncond', 'float', null),
    f('s_churn', 'float', null),
    f('s_tmax', 'float', null),
    f('s_tmin', 'float', null),
    f('s_noise', 'float', null),
    f('override_settings', 'dict', null),
    f('override_settings_restore_afterwards', 'bool', true),
    f('refiner_checkpoint', 'str', null),
    f('refiner_switch_at', 'float', null),
    f('disable_extra_networks', 'bool', false),
    f('firstpass_image', 'str', null),
    f('comments', 'dict', null),
  ];
}

/** The fields the API adds to both modes (after the mode's own). */
function apiFields(): FieldSpec[] {
  return [
    f('sampler_index', 'str', 'Euler'),
    f('script_name', 'str', null),
    f('script_args', 'list', []),
    f('send_images', 'bool', true),
    f('save_images', 'bool', false),
    f('alwayson_scripts', 'dict', {}),
    f('infotext', 'str', null),
  ];
}

export const TXT2IMG_FIELDS: readonly FieldSpec[] = Object.freeze([
  ...processingFields(0.75),
  f('enable_hr', 'bool', false),
  f('firstphase_width', 'int', 0),
  f('firstphase_height', 'int', 0),
  f('hr_scale', 'float', 2.0),
  f('hr_upscaler', 'str', null),
  f('hr_second_pass_steps', 'int', 0),
  f('hr_resize_x', 'int', 0),
  f('hr_resize_y', 'int', 0),
  f('hr_checkpoint_name', 'str', null),
  f('hr_sampler_name', 'str', null),
  f('hr_scheduler', 'str', null),
  f('hr_prompt', 'str', ''),
  f('hr_negative_prompt', 'str', ''),
  f('force_task_id', 'str', null),
  ...apiFields(),
]);

export const IMG2IMG_FIELDS: readonly FieldSpec[] = Object.freeze([
  ...processingFields(0.75),
  f('init_images', 'list', null),
  f('resize_mode', 'int', 0),
  f('image_cfg_scale', 'float', null),
  f('mask', 'str', null),
  f('mask_blur_x', 'int', 4),
  f('mask_blur_y', 'int', 4),
  f('mask_blur', 'int', null),
  f('mask_round', 'bool', true),
  f('inpainting_fill', 'int', 0),
  f('inpaint_full_res', 'bool', true),
  f('inpaint_full_res_padding', 'int', 0),
  f('inpainting_mask_invert', 'int', 0),
  f('initial_noise_multiplier', 'float', null),
  f('latent_mask', 'str', null),
  f('force_task_id', 'str', null),
  ...apiFields().slice(0, 1),
  f('include_init_images', 'bool', false),
  ...apiFields().slice(1),
]);

/** ExtrasBaseRequest (+ image / imageList) for extra-single-image and extra-batch-images. */
export const EXTRAS_FIELDS: readonly FieldSpec[] = Object.freeze([
  f('resize_mode', 'int', 0),
  f('show_extras_results', 'bool', true),
  f('gfpgan_visibility', 'float', 0),
  f('codeformer_visibility', 'float', 0),
  f('codeformer_weight', 'float', 0),
  f('upscaling_resize', 'float', 2),
  f('upscaling_resize_w', 'int', 512),
  f('upscaling_resize_h', 'int', 512),
  f('upscaling_crop', 'bool', true),
  f('upscaler_1', 'str', 'None'),
  f('upscaler_2', 'str', 'None'),
  f('extras_upscaler_2_visibility', 'float', 0),
  f('upscale_first', 'bool', false),
]);
