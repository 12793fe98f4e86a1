// A budget of bytes shared by concurrent work: take waits until the amount fits, give returns it.
// Waiters are served in order, so a big send is not starved by small ones.

export interface Budget {
  /** Resolves once `amount` is available (at once when nothing is taken, even if `amount` exceeds the limit). */
  take(amount: number): Promise<void>;
  give(amount: number): void;
  readonly taken: number;
}

export function createBudget(limit: number): Budget {
  let taken = 0;
  const waiting: { amount: number; resolve: () => void }[] = [];
  const fits = (amount: number) => taken === 0 || taken + amount <= limit;
  return {
    take(amount) {
      if (waiting.length === 0 && fits(amount)) {
        taken += amount;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push({ amount, resolve }));
    },
    give(amount) {
      taken -= amount;
      while (waiting.length > 0 && fits(waiting[0]!.amount)) {
        const next = waiting.shift()!;
        taken += next.amount;
        next.resolve();
      }
    },
    get taken() {
      return taken;
    },
  };
}
