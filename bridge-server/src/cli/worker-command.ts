import { parseArgs } from 'node:util';
import { invalidField } from '@latent-bridge/shared';
import { startQueueWorker, type QueueWorkerOptions } from '../cluster/worker.js';
import { defaultConfigDir } from '../config/config-dir.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../runtime/index.js';
import { numberOption, requireOption, residencyOption } from './args.js';
import { queueUrl } from './serve-command.js';

const USAGE = `latent-bridge worker --queue redis://HOST:PORT [options]
  Runs jobs from the shared queue that \`latent-bridge serve --queue\` fronts put there, on this
  machine's models, one at a time. Start as many as you have devices, on any machines.
  --queue redis://H:P   the shared queue's Redis (required)
  --queue-prefix P      key prefix in that Redis (default lb; must match the fronts')
  --models DIR          model folder (default: $LATENT_BRIDGE_MODELS or the per-user data folder)
  --checkpoints DIR     checkpoint files fronts' clients may import here (import-model, a generate or A1111
                        request naming one); default: $LATENT_BRIDGE_CHECKPOINTS, else "checkpoints" beside the model folder
  --loras DIR           LoRA files A1111 requests' <lora:NAME:w> tags name (default: $LATENT_BRIDGE_LORAS,
                        else "loras" beside the checkpoints folder)
  --embeddings DIR      textual-inversion embeddings (default: $LATENT_BRIDGE_EMBEDDINGS, else "embeddings"
                        beside the checkpoints folder)
  --config-dir DIR      where the demo models live (default: $LATENT_BRIDGE_CONFIG_DIR or ~/.config/latent-bridge)
  --demo                offer the demo models even when real ones are installed
  --provider P          execution provider: ${EXECUTION_PROVIDERS.join(', ')} (default cpu)
  --threads N           onnxruntime threads
  --keep-sessions       keep every model session open while the VAE decodes (see serve; also $LATENT_BRIDGE_KEEP_SESSIONS=1)
  --health-port N       serve GET /health on this port (0 picks one); none by default
  --health-host HOST    interface for /health (default 127.0.0.1)
  --lock-ms N           job lock: a worker silent this long loses its job to another (default 30000)
  --stalled-ms N        how often to look for jobs of dead workers (default half the lock)
  --drain-ms N          on SIGTERM, how long the running job may finish before it is handed back (default 60000)`;

export function workerOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): QueueWorkerOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      queue: { type: 'string' },
      'queue-prefix': { type: 'string' },
      models: { type: 'string' },
      checkpoints: { type: 'string' },
      loras: { type: 'string' },
      embeddings: { type: 'string' },
      'config-dir': { type: 'string' },
      demo: { type: 'boolean' },
      provider: { type: 'string' },
      threads: { type: 'string' },
      'keep-sessions': { type: 'boolean' },
      'health-port': { type: 'string' },
      'health-host': { type: 'string' },
      'lock-ms': { type: 'string' },
      'stalled-ms': { type: 'string' },
      'drain-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return { help: true, queue: '' };
  const provider = values.provider;
  if (provider !== undefined && !(EXECUTION_PROVIDERS as readonly string[]).includes(provider)) {
    throw invalidField('provider', `--provider must be one of ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  const whole = (name: string, min: number, max: number): number | undefined => {
    const n = numberOption(name, values[name as keyof typeof values] as string | undefined);
    if (n !== undefined && (!Number.isInteger(n) || n < min || n > max)) throw invalidField(name, `--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const threads = whole('threads', 1, 1024);
  const healthPort = whole('health-port', 0, 65535);
  const lockMs = whole('lock-ms', 500, 86_400_000);
  const stalledMs = whole('stalled-ms', 100, 86_400_000);
  const drainMs = whole('drain-ms', 0, 86_400_000);
  return {
    help: false,
    queue: queueUrl(requireOption('queue', values.queue)),
    ...(values['queue-prefix'] !== undefined ? { prefix: values['queue-prefix'] } : {}),
    ...(values.models !== undefined ? { modelsDir: values.models } : {}),
    ...((values.checkpoints ?? env['LATENT_BRIDGE_CHECKPOINTS']) ? { checkpointsDir: values.checkpoints ?? env['LATENT_BRIDGE_CHECKPOINTS'] } : {}),
    ...((values.loras ?? env['LATENT_BRIDGE_LORAS']) ? { lorasDir: values.loras ?? env['LATENT_BRIDGE_LORAS'] } : {}),
    ...((values.embeddings ?? env['LATENT_BRIDGE_EMBEDDINGS']) ? { embeddingsDir: values.embeddings ?? env['LATENT_BRIDGE_EMBEDDINGS'] } : {}),
    configDir: values['config-dir'] ?? defaultConfigDir(env),
    demo: values.demo === true ? true : 'auto',
    ...(provider !== undefined ? { provider: provider as ExecutionProvider } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...residencyOption(values['keep-sessions'], env),
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(values['health-host'] !== undefined ? { healthHost: values['health-host'] } : {}),
    ...(lockMs !== undefined ? { lockMs } : {}),
    ...(stalledMs !== undefined ? { stalledMs } : {}),
    ...(drainMs !== undefined ? { drainMs } : {}),
  };
}

/** `latent-bridge worker`: runs until SIGINT/SIGTERM, then finishes or hands back its job. */
export async function workerCommand(argv: string[]): Promise<void> {
  const { help, ...options } = workerOptions(argv);
  if (help) {
    console.log(USAGE);
    return;
  }
  const worker = await startQueueWorker({ ...options, log: (line) => console.error(line) });
  if (worker.healthUrl !== undefined) console.log(`latent-bridge worker health on ${worker.healthUrl}`);
  // Tests and scripts parse exactly this line from stdout.
  console.log(`latent-bridge worker ready ${worker.id}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(130);
      stopping = true;
      console.error(`${signal}: finishing the running job, then stopping`);
      worker.close().then(resolve, (err: unknown) => {
        console.error(err);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
