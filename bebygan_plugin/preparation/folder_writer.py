"""A folder of PNG images with BasicSR's ``meta_info.txt``: the folder counterpart of
:class:`bebygan_plugin.preparation.lmdb_writer.LmdbWriter` (same interface, same ``meta_info.txt`` lines)."""
import os
from typing import List, Sequence, Tuple

from .lmdb_writer import META_INFO, Shape, meta_info_line


class FolderWriter:
    """Writes ``{key}.png`` files into a new folder; ``meta_info.txt`` comes with :meth:`close`.

    Args:
        path: the folder to create (it must not exist yet; see :mod:`bebygan_plugin.preparation.staging`).
        compress_level: PNG compression level of the images, written into ``meta_info.txt``.
    """

    map_growths = 0  # an LMDB's count of map enlargements; a folder has none

    def __init__(self, path: str, compress_level: int) -> None:
        os.makedirs(path)
        self.path, self.compress_level = path, compress_level
        self.meta_lines: List[str] = []
        self.keys = set()

    def put_many(self, entries: Sequence[Tuple[str, bytes, Shape]]) -> None:
        """Write ``(key, png_bytes, (h, w, c))`` entries as ``{key}.png``."""
        for key, data, shape in entries:
            if key in self.keys:
                raise ValueError(f'{self.path}: key {key!r} was written twice')
            with open(os.path.join(self.path, f'{key}.png'), 'wb') as f:
                f.write(data)
            self.keys.add(key)
            self.meta_lines.append(meta_info_line(key, shape, self.compress_level))

    def close(self) -> None:
        """Write ``meta_info.txt``."""
        with open(os.path.join(self.path, META_INFO), 'w', encoding='ascii') as f:
            f.writelines(self.meta_lines)

    def abort(self) -> None:
        """Nothing to release (the caller deletes the folder)."""
