// The seat activities of the cancellation example, writing what they did to a log so that the
// example can show that the release ran after the cancellation.

/** The activities, writing to `log` (a real system would call the booking service). */
export function createActivities(log: string[]): {
  reserve: (seat: string) => Promise<void>;
  release: (seat: string) => Promise<void>;
} {
  return {
    async reserve(seat: string): Promise<void> {
      log.push(`reserved ${seat}`);
      return Promise.resolve();
    },
    async release(seat: string): Promise<void> {
      log.push(`released ${seat}`);
      return Promise.resolve();
    },
  };
}
