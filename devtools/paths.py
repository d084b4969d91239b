"""Where the repository and the shipped test data are, and the distributed-launch variables tests clear."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SET5 = REPO_ROOT / 'tests' / 'data' / 'Set5'  # HR and MATLAB-made LR_bicubic/X4 (see tests/data/README.md)
DIST_VARS = ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
