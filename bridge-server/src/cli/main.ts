#!/usr/bin/env node
import { toBridgeError } from '@latent-bridge/shared';
import { generateCommand } from './generate-command.js';
import { modelsCommand } from './models-command.js';

const USAGE = `latent-bridge <command>
  serve ...             start the bridge server (HTTP + WebSocket) for the Photoshop and GIMP plugins (--help)
  worker --queue URL    run jobs from a shared Redis queue that \`serve --queue\` fronts fill (--help)
  generate ...          text to image from the command line (--help for options)
  batch ...             one image per line of a prompt file, with a summary (--help for options)
  animate ...           frames between two prompts and/or seeds as an animated PNG or WebP (--help)
  import SOURCE ...      convert a .safetensors/.ckpt checkpoint or diffusers folder into the model store (--help)
  models ...            list | pull | verify | make-test
  token [--config-dir DIR]  print the access token plugins need`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'generate':
      return generateCommand(rest);
    case 'models':
      return modelsCommand(rest);
    case 'import': {
      const { importCommand } = await import('./import-command.js');
      return importCommand(rest);
    }
    case 'batch': {
      const { batchCommand } = await import('./batch-command.js');
      return batchCommand(rest);
    }
    case 'animate': {
      const { animateCommand } = await import('./animate-command.js');
      return animateCommand(rest);
    }
    case 'serve': {
      const { serveCommand } = await import('./serve-command.js');
      return serveCommand(rest);
    }
    case 'worker': {
      const { workerCommand } = await import('./worker-command.js');
      return workerCommand(rest);
    }
    case 'token': {
      const { tokenCommand } = await import('./serve-command.js');
      return tokenCommand(rest);
    }
    default:
      console.log(USAGE);
      if (command !== undefined && command !== 'help' && command !== '--help') process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const e = toBridgeError(err);
  console.error(`error [${e.code}]${e.field ? ` (${e.field})` : ''}: ${e.message}`);
  if (e.code === 'internal' && err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = 1;
});
