// The workflow that the schedule of docs/schedules.md starts every morning.
export async function report(day: string): Promise<string> {
  return Promise.resolve(`report ${day}`);
}
