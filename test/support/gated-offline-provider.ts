import { OfflineProvider } from '../../src/llm/offline/offline-provider.js';

/**
 * The offline writer, made to wait while a gate is closed: the rewrite that a deletion or a
 * correction starts would otherwise race a test's read of the stale narrative.
 */
export class GatedOfflineProvider extends OfflineProvider {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  close(): void {
    this.gate ??= new Promise((resolve) => (this.openGate = resolve));
  }

  open(): void {
    this.openGate?.();
    this.gate = undefined;
    this.openGate = undefined;
  }

  override async writeNarrative(...args: Parameters<OfflineProvider['writeNarrative']>): ReturnType<OfflineProvider['writeNarrative']> {
    await this.gate;
    return super.writeNarrative(...args);
  }
}
