"""ImageFolder: PNG/JPEG images sorted into one sub-folder per class (torchvision's layout).

    root/cat/001.png
    root/dog/xyz.jpg
    root/dog/puppies/abc.jpg

Class names are the sub-folder names in sorted order, labels their indices; a class
holds every image anywhere under its folder, as in torchvision.
Images are decoded with Pillow (the ``data`` extra) and held in memory, by its
readers of the formats the extensions name (``FORMATS``) and no other: left to
guess from the content, Pillow would try every format it knows, and its EPS reader
runs Ghostscript on the file. A file whose content is none of them, whatever its
name, is a ``DataFileError`` naming it.

As in torchvision, a class folder without images is a FileNotFoundError. An
image that cannot be decoded, is not a regular file, or is too large is a
``DataFileError`` naming it: each image's size is read from its header and
checked against ``minicnn.io.read_limit()`` before it is decoded, together with
what the images decoded so far and this one will take in the dataset, and
Pillow's decompression-bomb warning (an image over ``PIL.Image.MAX_IMAGE_PIXELS``)
is an error, not a warning. With ``size``, all the resized images are counted
against the limit before any file is opened.
"""

import os
import warnings

import numpy as np

from ..filecheck import check_claim, open_regular
from ..safepickle import describe
from .dataset import TensorDataset, refuse_transforms
from .files import DataFileError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
# Pillow's names of the formats of EXTENSIONS (.pgm is PPM's, .jpg JPEG's): the readers it may try.
# A JPEG named .png is read, as torchvision reads it; a file of any other format is not.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "PPM", "TIFF", "WEBP")


def _pillow():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "ImageFolder decodes images with Pillow, which is not installed; "
            'install the data extra: pip install -e ".[data]"'
        ) from e
    return Image


def _formats(Image):
    """Those of FORMATS this Pillow reads (WebP needs libwebp): the ``formats=`` of each open."""
    Image.init()  # NOTE: imports the readers, which only registers them; none is run here
    return tuple(f for f in FORMATS if f in Image.OPEN)


class ImageFolder(TensorDataset):
    """Every image under ``root/<class>/``, as RGB float32 (N, 3, H, W) in [0, 1].

    Args:
        root: the folder of class folders.
        size: None keeps each image's size (then all must share one), an int
            or (h, w) resizes every image bilinearly with Pillow.
        transform, target_transform: torchvision's, refused with a pointer to
            ``DataLoader(transform=...)``, where minicnn's batch transforms go.
    Attributes: ``classes``, ``class_to_idx``, ``samples`` (path, label) in order.
    """

    def __init__(self, root, size=None, transform=None, target_transform=None):
        refuse_transforms("ImageFolder", transform, target_transform)
        Image = _pillow()
        if not os.path.isdir(root):
            raise FileNotFoundError(
                f"ImageFolder: {root} is not a folder; expected one sub-folder of images per class"
            )
        classes = sorted(d.name for d in os.scandir(root) if d.is_dir())
        self.class_to_idx = {c: i for i, c in enumerate(classes)}
        self.samples = [
            (path, i) for i, c in enumerate(classes) for path in _images_under(os.path.join(root, c))
        ]
        if not self.samples:
            raise FileNotFoundError(
                f"ImageFolder: no images ({', '.join(EXTENSIONS)}) in class "
                f"sub-folders of {root} (found {len(classes)} sub-folder(s))"
            )
        used = {label for _, label in self.samples}
        empty = [c for i, c in enumerate(classes) if i not in used]
        if empty:
            raise FileNotFoundError(
                f"ImageFolder: class folder(s) {', '.join(map(repr, empty))} in "
                f"{root} hold no images ({', '.join(EXTENSIONS)}); add images "
                "or remove the folder(s)"
            )
        if size is not None:
            size = _check_size(size, len(self.samples), root)
        images, held, formats = [], 0, _formats(Image)
        for path, _ in self.samples:
            images.append(_decode(Image, formats, path, size, held))
            held += images[-1].shape[0] * images[-1].shape[1] * _BYTES_KEPT
        shapes = sorted({a.shape[:2] for a in images})
        if len(shapes) > 1:
            raise DataFileError(
                f"ImageFolder: images in {root} have {len(shapes)} different sizes "
                f"(e.g. {shapes[0]} and {shapes[-1]}); pass size= to resize them"
            )
        y = np.array([label for _, label in self.samples], dtype=np.int64)
        super().__init__(_as_float(images), y, classes=classes)


def _images_under(folder):
    """The image files anywhere under ``folder``, in torchvision's order: folder by folder
    (sorted by path), then by name. Links to folders are not followed, so a link back up
    cannot make the walk endless."""
    walk = sorted(os.walk(folder))
    return [
        os.path.join(where, f)
        for where, _, files in walk
        for f in sorted(files)
        if f.lower().endswith(EXTENSIONS)
    ]


# bytes a pixel takes in the dataset: its uint8 RGB as decoded, then its float32 copy
_BYTES_KEPT = 3 + 12


def _check_size(size, n, root):
    """``size`` as (h, w) of positive ints, once ``n`` images of that size fit the read limit."""
    try:
        h, w = (int(size), int(size)) if np.isscalar(size) else map(int, size)
    except (TypeError, ValueError):
        h = w = 0
    if h < 1 or w < 1:
        raise ValueError(f"ImageFolder: size must be a positive int or (h, w) of them, got {size!r}")
    what = f"{n} images resized to {w}x{h}"
    check_claim(n * h * w * _BYTES_KEPT, what, f"ImageFolder: {root}", DataFileError)
    return h, w


def _as_float(images):
    """(N, 3, H, W) float32 in [0, 1] from uint8 (H, W, 3) images, filled in place (no uint8 stack)."""
    h, w = images[0].shape[:2]
    x = np.empty((len(images), 3, h, w), np.float32)
    for i, image in enumerate(images):
        x[i] = image.transpose(2, 0, 1)
    x /= 255
    return x


def _decode(Image, formats, path, size, held):
    """One image as uint8 (H, W, 3), resized to ``size`` (h, w) if given; checked before decoding.

    Only Pillow's readers of ``formats`` are tried. ``held`` is what the images decoded
    before it will take in the dataset.
    """
    with open_regular(path, DataFileError) as f:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(f, formats=formats) as im:
                    w, h = im.size
                    # NOTE: 12 bytes a pixel bounds every mode Pillow decodes to and the float32 RGB
                    check_claim(w * h * 12, f"the {w}x{h} image", path, DataFileError)
                    out_h, out_w = size or (h, w)
                    # decoding this image, and what the dataset keeps of it and of those before
                    total = held + w * h * 12 + out_h * out_w * _BYTES_KEPT
                    check_claim(total, "the images up to this one, decoded,", path, DataFileError)
                    im = im.convert("RGB")
                    if size is not None and im.size != (size[1], size[0]):
                        im = im.resize((size[1], size[0]), Image.BILINEAR)  # Pillow: (w, h)
                    return np.asarray(im, dtype=np.uint8)
        except DataFileError:
            raise
        except Image.UnidentifiedImageError:
            # NOTE: no byte past the size it claims is shown: a link to /proc/self/environ says 0
            size = os.fstat(f.fileno()).st_size
            f.seek(0)
            got = f"a file that none reads (it begins {f.read(min(size, 16))!r})" if size else "an empty file"
            raise DataFileError(
                f"ImageFolder: cannot decode {path}: expected an image in one of "
                f"{', '.join(formats)}, got {got}"
            ) from None
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
            raise DataFileError(
                f"ImageFolder: {path} is too large to decode safely, a possible "
                f"decompression bomb ({describe(e)})"
            ) from None
        except Exception as e:  # Pillow's decoders fail on damaged files in many ways
            raise DataFileError(f"ImageFolder: cannot decode {path} ({describe(e)})") from None
