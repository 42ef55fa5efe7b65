import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemsWith } from '../../bench/lib/report';
import { LATEST_RESULTS, readResults } from '../../bench/lib/results-file';
import { BENCHMARK_SCRIPTS } from '../../bench/run-all';

// Each benchmark script, run exactly as a person would (`node -r @swc/register bench/<name>.ts --quick`),
// must finish on its own and produce a well-formed result. No figure is judged: timings belong to `npm run bench`.

const REPO_ROOT = join(__dirname, '..', '..');
// Generous: on a loaded machine the child servers alone take tens of seconds to compile and start.
const PER_SCRIPT_LIMIT_MS = 90_000;

function runQuick(name: string, out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc/register', join(REPO_ROOT, 'bench', `${name}.ts`), '--quick', '--out', out], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} --quick did not finish within ${PER_SCRIPT_LIMIT_MS} ms\n${stderr}`));
    }, PER_SCRIPT_LIMIT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('benchmark scripts, quick smoke mode', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'signoff-bench-smoke-'));
  const latestBefore = existsSync(LATEST_RESULTS) ? readFileSync(LATEST_RESULTS, 'utf8') : undefined;

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each([...BENCHMARK_SCRIPTS])(
    '%s --quick completes and reports finite figures',
    async (name) => {
      const out = join(scratch, `${name}.json`);
      const { code, stdout, stderr } = await runQuick(name, out);

      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/\|\s*metric\s*\|\s*unit\s*\|\s*n\s*\|\s*p50\s*\|\s*p95\s*\|\s*p99\s*\|/);
      const result = readResults(out)?.benchmarks[name];
      expect(result).toMatchObject({ name, quick: true });
      expect(problemsWith(result!)).toEqual([]);
    },
    PER_SCRIPT_LIMIT_MS + 5_000,
  );

  it('leaves bench/results/latest.json alone', () => {
    const latestAfter = existsSync(LATEST_RESULTS) ? readFileSync(LATEST_RESULTS, 'utf8') : undefined;
    expect(latestAfter).toBe(latestBefore);
  });
});
