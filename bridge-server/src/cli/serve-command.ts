import { parseArgs } from 'node:util';
import { invalidField } from '@latent-bridge/shared';
import { defaultConfigDir } from '../config/config-dir.js';
import { loadOrCreateToken } from '../config/token.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../runtime/index.js';
import { DEFAULT_HOST, DEFAULT_PORT, startBridgeServer, type BridgeServerOptions } from '../server/index.js';
import { numberOption, residencyOption } from './args.js';
import { redisOptions } from '../cluster/redis.js';

const USAGE = `latent-bridge serve [options]
  --host HOST           interface to listen on (default ${DEFAULT_HOST}: this machine only)
  --port N              port (default ${DEFAULT_PORT}; 0 picks a free one)
  --models DIR          model folder (default: $LATENT_BRIDGE_MODELS or the per-user data folder)
  --checkpoints DIR     .safetensors/.ckpt files clients may import and use (an A1111 models/Stable-diffusion or
                        ComfyUI models/checkpoints folder; default: $LATENT_BRIDGE_CHECKPOINTS, else "checkpoints"
                        beside the model folder)
  --loras DIR           LoRA / LoCon files for <lora:NAME:w> and generate.loras (an A1111 models/Lora folder works;
                        default: $LATENT_BRIDGE_LORAS, else "loras" beside the checkpoints folder)
  --embeddings DIR      textual-inversion embeddings, triggered by file name in prompts (an A1111 embeddings folder
                        works; default: $LATENT_BRIDGE_EMBEDDINGS, else "embeddings" beside the checkpoints folder)
  --token TOKEN         token clients must send (default: $LATENT_BRIDGE_TOKEN, else the one in the config dir)
  --no-token            accept clients without a token (only for trusted, local set-ups)
  --config-dir DIR      where the token and demo models live (default: $LATENT_BRIDGE_CONFIG_DIR or ~/.config/latent-bridge)
  --allow-origin ORIGIN allow a web origin such as http://localhost:5173 (repeatable)
  --demo                offer the demo models even when real ones are installed
  --provider P          execution provider: ${EXECUTION_PROVIDERS.join(', ')} (default cpu)
  --queue redis://H:P   run as a queue front: jobs go on the shared BullMQ queue in that Redis and run on
                        \`latent-bridge worker\` processes (any machine); models = what those workers have
  --queue-prefix P      key prefix in that Redis (default lb)
  --ort-cache DIR       keep onnxruntime's optimized graphs there, so later model loads skip graph optimization
                        (CPU provider; about the size of the models' weights; default: $LATENT_BRIDGE_ORT_CACHE, else none)
  --keep-sessions       keep every model session open through decodes, arenas included (default: the text encoders
                        and VAE encoder close while the VAE decodes, the decoder when the job ends, and all reopen in
                        the background: a 512² SD 1.5 job peaks at 1.25× its weights instead of 1.34×;
                        also $LATENT_BRIDGE_KEEP_SESSIONS=1)`;

/** Builds the server options from the command line and environment. */
export function serveOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BridgeServerOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      models: { type: 'string' },
      checkpoints: { type: 'string' },
      loras: { type: 'string' },
      embeddings: { type: 'string' },
      token: { type: 'string' },
      'no-token': { type: 'boolean' },
      'config-dir': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      demo: { type: 'boolean' },
      provider: { type: 'string' },
      queue: { type: 'string' },
      'queue-prefix': { type: 'string' },
      'ort-cache': { type: 'string' },
      'keep-sessions': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const port = numberOption('port', values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw invalidField('port', '--port must be an integer from 0 to 65535');
  const provider = values.provider;
  if (provider !== undefined && !(EXECUTION_PROVIDERS as readonly string[]).includes(provider)) {
    throw invalidField('provider', `--provider must be one of ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  if (values['no-token'] === true && values.token !== undefined) throw invalidField('token', '--token and --no-token exclude each other');
  const envToken = env['LATENT_BRIDGE_TOKEN'];
  let token: string | null | undefined;
  if (values['no-token'] === true) token = null;
  else if (values.token !== undefined) token = values.token;
  else if (envToken !== undefined && envToken !== '') token = envToken;
  if (typeof token === 'string' && token.trim() === '') throw invalidField('token', 'the token must not be empty');
  return {
    help: values.help === true,
    host: values.host ?? DEFAULT_HOST,
    port: port ?? DEFAULT_PORT,
    ...(token !== undefined ? { token } : {}),
    configDir: values['config-dir'] ?? defaultConfigDir(env),
    ...(values.models !== undefined ? { modelsDir: values.models } : {}),
    ...((values.checkpoints ?? env['LATENT_BRIDGE_CHECKPOINTS']) ? { checkpointsDir: values.checkpoints ?? env['LATENT_BRIDGE_CHECKPOINTS'] } : {}),
    ...((values.loras ?? env['LATENT_BRIDGE_LORAS']) ? { lorasDir: values.loras ?? env['LATENT_BRIDGE_LORAS'] } : {}),
    ...((values.embeddings ?? env['LATENT_BRIDGE_EMBEDDINGS']) ? { embeddingsDir: values.embeddings ?? env['LATENT_BRIDGE_EMBEDDINGS'] } : {}),
    demo: values.demo === true ? true : 'auto',
    allowOrigins: values['allow-origin'] ?? [],
    ...(provider !== undefined ? { provider: provider as ExecutionProvider } : {}),
    ...(values.queue !== undefined ? { queue: queueUrl(values.queue) } : {}),
    ...(values['queue-prefix'] !== undefined ? { queuePrefix: values['queue-prefix'] } : {}),
    ...((values['ort-cache'] ?? env['LATENT_BRIDGE_ORT_CACHE']) ? { optimizedCacheDir: values['ort-cache'] ?? env['LATENT_BRIDGE_ORT_CACHE'] } : {}),
    ...residencyOption(values['keep-sessions'], env),
  };
}

/** Checked here so a typo fails before anything starts. */
export function queueUrl(raw: string): string {
  redisOptions(raw, 'queue');
  return raw;
}

/** `latent-bridge serve`: runs until SIGINT/SIGTERM, then stops gracefully. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { help, ...options } = serveOptions(argv);
  if (help) {
    console.log(USAGE);
    return;
  }
  const bridge = await startBridgeServer({ ...options, log: (line) => console.error(line) });
  console.error(`models: ${bridge.models.join(', ') || '(none)'}`);
  if (bridge.token === null) console.error('warning: running without a token; any local program can use the bridge');
  // Tests and scripts parse exactly this line from stdout.
  console.log(`latent-bridge listening on ${bridge.url}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.exit(130);
      }
      stopping = true;
      console.error(`${signal}: stopping`);
      bridge.close().then(resolve, (err: unknown) => {
        console.error(err);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `latent-bridge token`: prints the token plug-ins need (creating it on first use). */
export async function tokenCommand(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'config-dir': { type: 'string' } } });
  console.log(await loadOrCreateToken(values['config-dir'] ?? defaultConfigDir()));
}
