// `npm run train:classifier`: retrains the chat task classifier from data/tasks/prompts/ with Debian's
// scikit-learn (python3-sklearn) and rewrites src/core/routing/classifier.json and data/tasks/model-check.json.
// Deterministic: the same corpus gives the same bytes. Extra arguments go to train.py (--cv).
import { spawnSync } from 'node:child_process';

// Debian's python3 is the one python3-sklearn installs into; a pyenv or venv python3 may lack it.
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0);
if (!python) {
  console.error('train:classifier needs scikit-learn: sudo apt-get install -y python3-sklearn');
  process.exit(1);
}
const r = spawnSync(python, ['data/tasks/train.py', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
