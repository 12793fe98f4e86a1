// What the simulated site refuses: thrown by its state (state.ts, users.ts), answered by the admin API
// (admin.ts) as 404 and 409.
export class NotFoundError extends Error {}
export class ConflictError extends Error {}
