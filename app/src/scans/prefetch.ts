/**
 * Hands out items of an async iterable while already asking for the next one, so a
 * scan fetches page N+1 from the provider while page N is being written to Postgres.
 * An error of the early request surfaces when its item would have been handed out.
 */
export async function* prefetching<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  try {
    for (;;) {
      const result = await pending;
      if (result.done) return;
      pending = iterator.next();
      // Observed here so a failure while the consumer is busy is not an unhandled rejection;
      // it is thrown by the await above on the next turn.
      pending.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
