// Ctrl-C cancels the running job cleanly (the library is only written by an atomic save at the
// end, so an interrupted enrolment leaves it as it was); a second Ctrl-C exits at once.
export async function withCancellation<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    process.stderr.write('\ncancelling… (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
