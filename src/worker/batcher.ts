// Gathers calls made by concurrent tasks in the same moment into one call of
// `run`, as graphile-worker batches its job completions: 24 concurrent
// reviews then cost one claim statement and one record statement, not 48.
export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: { maxSize?: number; delayMs?: number } = {}): (item: I) => Promise<O> {
  const maxSize = opts.maxSize ?? 100;
  let pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    run(batch.map((p) => p.item)).then(
      (outputs) => batch.forEach((p, i) => p.resolve(outputs[i])),
      (error) => batch.forEach((p) => p.reject(error)),
    );
  };

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (pending.length >= maxSize) flush();
      else if (!scheduled) {
        scheduled = true;
        if (opts.delayMs) setTimeout(flush, opts.delayMs);
        else setImmediate(flush);
      }
    });
}
