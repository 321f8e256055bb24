// Starts a run's processes from small long-lived helpers instead of from Node itself.
//
// Why: Node forks its whole process to spawn one (libuv's fork, then a wait for the exec), about
// 1.8 ms of the main thread per process on a 2-core machine even for a bare `node`: a plan of
// short tasks spent most of its time there. A helper is a perl process of a few megabytes whose
// fork costs a fraction of that. Each helper runs one process at a time, as the direct spawn of
// process-runner.ts does: its own process group, killed as a whole, with no terminal, the
// task's cwd, stdin from /dev/null, the argv (the task's shell and its command), the run's
// environment with the task's own variables on top, every signal at its default. It relays the
// output and reports the exit only once the process has exited and its stdout and stderr are
// closed (Node's 'close'), with the exact exit code or signal.
//
// The helper speaks frames on its stdout, one request at a time:
//   request (peh → helper): cwd NUL argc NUL argv… NUL count NUL (NAME=value NUL)… n NUL (file NUL entry NUL)
//                (each argument and variable ends with a NUL; the variables are the task's own,
//                set in the forked child only, so a task with an env keeps the helper's speed;
//                with a journal (n = 2), the child appends `entry pid` to file before it execs)
//   R            ready (once, after it took the environment)
//   S<pid>       the process exists; its pid is its process group
//   D<n>\n<n bytes>  output, stdout and stderr in the order they came
//   X<code>      it exited with code      K<signo>  it was killed by signal
//   F<errno>     it could not start (a missing cwd, say): nothing ran
//
// Without perl (or if a helper cannot start), the process is spawned by Node directly: the
// helpers make starting cheaper, never different. Agent prompts (stdin) always go direct.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { spawnDirect, spawnError, type ProcessExit, type ProcessStarter, type StartRequest } from "./process-runner.js";

// No modules (not even strict or POSIX): every fork copies the helper's page tables, and POSIX
// alone makes perl three times bigger. setpgrp(0, 0) gives the process its own group (perl itself
// runs in a session of its own, with no terminal), and open(STDOUT, ">&") is dup2 onto fd 1.
const HELPER = String.raw`
binmode STDIN; binmode STDOUT; $| = 1;
$/ = "\0";
sub fields { my $n = <STDIN>; return unless defined $n; chomp $n; my @f; for (1 .. $n) { my $f = <STDIN>; return unless defined $f; chomp $f; push @f, $f; } return \@f; }
my $run_env = fields(); exit 0 unless $run_env;
%ENV = map { split /=/, $_, 2 } @$run_env;
print "R\n";
while (defined(my $cwd = <STDIN>)) {
  chomp $cwd;
  my $argv = fields(); last unless $argv && @$argv;
  my $extra = fields(); last unless $extra;
  my $journal = fields(); last unless $journal;
  pipe(my $out_r, my $out_w) or die "pipe: $!";
  pipe(my $err_r, my $err_w) or die "pipe: $!";
  pipe(my $exec_r, my $exec_w) or die "pipe: $!";
  my $pid = fork();
  if (!defined $pid) { print "F" . ($! + 0) . "\n"; next; }
  if ($pid == 0) {
    close $out_r; close $err_r; close $exec_r;
    setpgrp(0, 0);
    if (@$journal && open(my $record, '>>', $journal->[0])) { syswrite($record, "$journal->[1] $$\n"); close $record; }
    for (@$extra) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v; }
    if (chdir($cwd) && open(STDIN, '<', '/dev/null')
        && open(STDOUT, '>&', $out_w) && open(STDERR, '>&', $err_w)) {
      exec { $argv->[0] } @$argv;
    }
    syswrite($exec_w, ($! + 0) . "");
    exit 127;
  }
  close $out_w; close $err_w; close $exec_w;
  my $errno = '';
  while (1) { my $got = sysread($exec_r, my $part, 64); last if defined $got && $got == 0; next unless defined $got; $errno .= $part; }
  close $exec_r;
  if ($errno ne '') { waitpid($pid, 0); close $out_r; close $err_r; print "F$errno\n"; next; }
  print "S$pid\n";
  my %open = (fileno($out_r) => $out_r, fileno($err_r) => $err_r);
  while (%open) {
    my $want = ''; vec($want, $_, 1) = 1 for keys %open;
    my $ready = select(my $got = $want, undef, undef, undef);
    next if $ready < 0;
    for my $fd (sort { $a <=> $b } keys %open) {
      next unless vec($got, $fd, 1);
      my $n = sysread($open{$fd}, my $chunk, 65536);
      if (!defined $n) { next if $! == 4; $n = 0; } # EINTR: select again; a broken pipe ends it
      if ($n == 0) { close $open{$fd}; delete $open{$fd}; next; }
      print "D$n\n", $chunk;
    }
  }
  waitpid($pid, 0);
  my $status = $?;
  print(($status & 127) ? "K" . ($status & 127) . "\n" : "X" . ($status >> 8) . "\n");
}
`;

/** A list in a request frame: its length, then each item; every one ends with a NUL. */
const fields = (items: readonly string[]): string => `${items.length}\0${items.map((item) => `${item}\0`).join("")}`;

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, number]) => [number, name]));

/** The current request of a helper: where its frames go. */
interface Pending {
  request: StartRequest;
  /** The S frame came: the process exists. */
  started: boolean;
  resolve: (exit: ProcessExit | typeof NOT_STARTED) => void;
}

/** The helper died before the process existed: it may be started another way. */
const NOT_STARTED = Symbol("not started");

/** One perl helper: a process that starts the run's processes one after the other. */
class Helper {
  readonly ready: Promise<boolean>;
  private pending: Pending | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private alive = true;
  private readonly child;

  constructor(env: NodeJS.ProcessEnv) {
    // perl itself gets no environment of the run (PERL5OPT and its kind would change perl, not
    // the task): the run's goes over the pipe, and perl hands it to every process it starts.
    this.child = spawn("perl", ["-e", HELPER], { env: { PATH: env.PATH ?? "/usr/bin:/bin" }, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let markReady: (ok: boolean) => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.child.stdout.on("data", (chunk: Buffer) => this.frames(chunk, () => markReady(true)));
    this.child.stderr.resume();
    this.child.stdin.on("error", () => undefined);
    const died = () => {
      this.alive = false;
      markReady(false);
      const pending = this.pending;
      this.pending = undefined;
      // A process it started may live on, in its own group: the caller kills that group.
      pending?.resolve(pending.started ? spawnError("LAUNCHER", "the process launcher stopped while the process ran") : NOT_STARTED);
    };
    this.child.on("error", died);
    this.child.on("close", died);
    const entries = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && !`${entry[0]}${entry[1]}`.includes("\0"));
    this.child.stdin.write(fields(entries.map(([name, value]) => `${name}=${value}`)));
  }

  get usable(): boolean {
    return this.alive;
  }

  run(request: StartRequest): Promise<ProcessExit | typeof NOT_STARTED> {
    if (!this.alive) return Promise.resolve(NOT_STARTED);
    return new Promise((resolve) => {
      this.pending = { request, started: false, resolve };
      const extra = Object.entries(request.extraEnv ?? {}).map(([name, value]) => `${name}=${value}`);
      const journal = request.journal ? [request.journal.file, request.journal.entry] : [];
      this.child.stdin.write(`${request.cwd}\0${fields(request.argv)}${fields(extra)}${fields(journal)}`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }

  /** Reads every whole frame buffered so far; a partial one waits for the next chunk. */
  private frames(chunk: Buffer, onReady: () => void): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let at = 0;
    while (at < this.buffered.length) {
      const newline = this.buffered.indexOf(10, at);
      if (newline < 0) break;
      const kind = String.fromCharCode(this.buffered[at]!);
      const value = this.buffered.toString("latin1", at + 1, newline);
      if (kind === "D") {
        const end = newline + 1 + Number(value);
        if (end > this.buffered.length) break;
        this.pending?.request.onOutput(this.buffered.subarray(newline + 1, end));
        at = end;
        continue;
      }
      at = newline + 1;
      if (kind === "R") onReady();
      else if (kind === "S") this.started(Number(value));
      else this.settle(kind, Number(value));
    }
    this.buffered = this.buffered.subarray(at);
  }

  private started(pid: number): void {
    if (!this.pending) return;
    this.pending.started = true;
    this.pending.request.onPid(pid);
  }

  private settle(kind: string, value: number): void {
    const pending = this.pending;
    this.pending = undefined;
    if (kind === "X") pending?.resolve({ exit_code: value, signal: null });
    else if (kind === "K") pending?.resolve({ exit_code: null, signal: SIGNAL_NAMES.get(value) ?? `SIG${value}` });
    else {
      const code = ERRNO_NAMES.get(value) ?? "SPAWN";
      pending?.resolve(spawnError(code, `spawn ${pending.request.argv[0]} ${code}`));
    }
  }
}

/**
 * The helpers of one run, as many as processes run at once. `start` takes the place of Node's
 * spawn for every process with the run's environment; `close` lets the helpers exit.
 */
export class Launcher {
  private readonly idle: Helper[] = [];
  private readonly helpers = new Set<Helper>();
  private direct = process.env.PEH_SPAWN === "node";

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  readonly start: ProcessStarter = async (request) => {
    // A NUL would end a field of the request early (Node refuses such an argument itself).
    const unframeable =
      request.cwd.includes("\0") ||
      request.argv.some((arg) => arg.includes("\0")) ||
      (request.extraEnv !== undefined && Object.entries(request.extraEnv).some((entry) => entry.join("=").includes("\0"))) ||
      (request.journal !== undefined && `${request.journal.file}${request.journal.entry}`.includes("\0"));
    if (this.direct || unframeable || request.stdin !== undefined || request.env !== this.env) return spawnDirect(request);
    const helper = this.idle.pop() ?? this.helper();
    if (!(await helper.ready)) {
      // No perl here (or it cannot run): every process of the run is spawned by Node.
      this.direct = true;
      this.helpers.delete(helper);
      return spawnDirect(request);
    }
    const exit = await helper.run(request);
    if (helper.usable) this.idle.push(helper);
    else this.helpers.delete(helper);
    // A helper killed from outside before the process existed: nothing ran, so Node starts it.
    return exit === NOT_STARTED ? spawnDirect(request) : exit;
  };

  close(): void {
    for (const helper of this.helpers) helper.close();
    this.helpers.clear();
    this.idle.length = 0;
  }

  private helper(): Helper {
    const helper = new Helper(this.env);
    this.helpers.add(helper);
    return helper;
  }
}
