import { REPO_ROOT } from './helpers';
import { typeCheck } from './guide-typecheck';

// The guide's type-check (test/guide-typecheck.ts) runs in a worker thread: one that gives no
// result in time is stopped, not left checking after jest abandoned the hook that waits for it.
describe("the guide's type-check thread", () => {
  it('is stopped, and the check rejected, when it gives no result within its time', async () => {
    // Loading TypeScript alone takes longer than 1 ms: the time runs out before any result.
    await expect(typeCheck(REPO_ROOT, 'tsconfig.json', [], 1)).rejects.toThrow(
      'the type-check gave no result within 1 ms: its thread was stopped',
    );
  });
});
