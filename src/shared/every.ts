/**
 * Runs `step` every `intervalMs`, counted from the end of the previous run,
 * so two runs never overlap however slow Redis is. The heartbeat and the
 * housekeeper share it.
 */
export interface Repeater {
  /** Stops, and resolves once a run in progress has finished. */
  stop(): Promise<void>;
}

export function every(intervalMs: number, step: () => Promise<void>): Repeater {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const loop = (): void => {
    running = step().finally(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  };
  timer = setTimeout(loop, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
