/** Resolves with the name of the first SIGINT or SIGTERM (or other event given) that arrives. */
export function shutdownSignal(extra: Array<{ emitter: NodeJS.EventEmitter; event: string; name: string }> = []): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    for (const { emitter, event, name } of extra) emitter.once(event, () => resolve(name));
  });
}
