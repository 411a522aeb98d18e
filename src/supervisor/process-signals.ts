// The signals of `tollgate start` (SPEC §6). A Node process without a handler for SIGHUP,
// SIGTERM, SIGINT or SIGUSR2 is killed by it on the spot, so the handlers are installed before
// anything else runs (module loading, the config, the workers: a second or more), and what
// arrives before the gateway is up is remembered instead of acted on:
//   SIGTERM, SIGINT  stop: the gateway is not started when the start had not begun yet, else it
//                    is stopped as soon as its workers are up (drained, exit 0)
//   SIGHUP           one reload once the workers are up: the file may have changed after it was
//                    read; several SIGHUPs make one reload; a stop cancels it
//   SIGUSR2          logged and dropped: there is nothing to report yet
// Once stopping, every further signal is logged and dropped: the drain is bounded by
// shutdownTimeout, and a second SIGTERM that cut it short would drop the requests it waits for.

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** What the running gateway does for each signal. */
export interface SignalActions {
  stop(signal: StopSignal): void;
  reload(): void;
  stats(): void;
}

type Note = (fields: Record<string, unknown>, msg: string) => void;
type Phase = 'starting' | 'running' | 'stopping';

const HANDLED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const;

export class ProcessSignals {
  private phase: Phase = 'starting';
  private actions: SignalActions | null = null;
  private stopSignal: StopSignal | null = null;
  private reloadPending = false;
  private note: Note | null = null;
  private readonly unwritten: [Record<string, unknown>, string][] = [];

  constructor() {
    for (const signal of HANDLED) process.on(signal, () => this.receive(signal));
  }

  /** The stop signal received so far, or null. */
  get stopRequested(): StopSignal | null {
    return this.stopSignal;
  }

  /** Where the notes about signals go; those made before a logger existed are written now. */
  logTo(note: Note): void {
    this.note = note;
    for (const [fields, msg] of this.unwritten.splice(0)) note(fields, msg);
  }

  /** The gateway is up: from now on signals act at once, and what came during start-up acts now. */
  attach(actions: SignalActions): void {
    this.actions = actions;
    this.phase = 'running';
    if (this.stopSignal !== null) this.dispatch(this.stopSignal);
    else if (this.reloadPending) this.dispatch('SIGHUP');
    this.reloadPending = false;
  }

  private receive(signal: (typeof HANDLED)[number]): void {
    if (this.phase === 'running') return this.dispatch(signal);
    if (this.phase === 'stopping') return this.write({ signal }, 'signal ignored: already stopping');
    if (signal === 'SIGTERM' || signal === 'SIGINT') {
      this.stopSignal ??= signal;
      this.write({ signal }, 'stop requested during start-up: stopping as soon as the start-up ends');
    } else if (signal === 'SIGHUP') {
      this.reloadPending = true;
      this.write({ signal }, 'reload requested during start-up: reloading once the workers are up');
    } else {
      this.write({ signal }, 'stats requested during start-up: nothing to report yet');
    }
  }

  private dispatch(signal: (typeof HANDLED)[number]): void {
    const actions = this.actions!;
    if (signal === 'SIGTERM' || signal === 'SIGINT') {
      this.phase = 'stopping';
      actions.stop(signal);
    } else if (signal === 'SIGHUP') {
      actions.reload();
    } else {
      actions.stats();
    }
  }

  private write(fields: Record<string, unknown>, msg: string): void {
    if (this.note === null) this.unwritten.push([fields, msg]);
    else this.note(fields, msg);
  }
}
