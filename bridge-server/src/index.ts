// Library entry: the pieces other programs (and our tests) drive without the CLI.
export * from '@latent-bridge/shared';
