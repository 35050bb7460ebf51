#!/usr/bin/python3
"""Fixtures for ImagePreprocessTest: torchvision/PIL outputs on generated images.

Run with Debian's python3 (python3-torchvision, python3-pil, python3-numpy):
    /usr/bin/python3 tools/make_preprocess_fixtures.py
Writes src/test/resources/dev/resnet4j/data/preprocess/:
  rgb.png, small.png          generated inputs (300x200 RGB with detail; 37x23 RGB, upscaled)
  flavour_*.png, *.rgb.png    RGBA, palette, L and LA PNGs and PIL's convert("RGB") of each
  rgb.jpg                     the RGB input as JPEG (quality 90)
  rgb.jpg.pil.png             PIL's decoding of rgb.jpg, lossless
  small.resize256.png         Resize(256) on the PIL image (Pillow bilinear; upscaling)
  NAME.l.png                  PIL convert("L")
  NAME.cCHANNELS_rRESIZE_cCROP.f32   Compose([Resize(r), CenterCrop(c), ToTensor(), Normalize(m, s)])
                              output, raw little-endian float32, C x c x c
"""
import os
import numpy as np
from PIL import Image
import torch
import torchvision
from torchvision import transforms as T

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "dev", "resnet4j", "data", "preprocess")
os.makedirs(OUT, exist_ok=True)
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
GRAY = ([0.5], [0.25])


def generated(w, h, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([
        127 + 120 * np.sin(x / 7.0) * np.cos(y / 11.0),
        255 * x / max(w - 1, 1),
        255 * ((x // 9 + y // 9) % 2),  # checkerboard: sharp edges stress the antialiasing
    ], axis=-1)
    noisy = base + rng.normal(0, 20, size=base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def pipeline(img, channels, resize, crop):
    mean, std = IMAGENET if channels == 3 else GRAY
    img = img.convert("RGB" if channels == 3 else "L")
    t = T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor(), T.Normalize(mean, std)])(img)
    return t.numpy().astype("<f4")


inputs = {"rgb": generated(300, 200, 0), "small": generated(37, 23, 1)}
for name, img in inputs.items():
    img.save(os.path.join(OUT, name + ".png"))
    if name == "small":  # upscaling; the pipelines below cover downscaling
        T.Resize(256)(img).save(os.path.join(OUT, name + ".resize256.png"))
    img.convert("L").save(os.path.join(OUT, name + ".l.png"))
    for channels, resize, crop in [(3, 40, 33), (3, 40, 47), (1, 40, 33)]:
        pipeline(img, channels, resize, crop).tofile(os.path.join(OUT, "%s.c%d_r%d_c%d.f32" % (name, channels, resize, crop)))

# PNG flavours: what PIL's convert("RGB") makes of them, saved as plain RGB PNG
small = inputs["small"]
alpha = Image.fromarray(np.arange(37 * 23, dtype=np.uint32).reshape(23, 37).astype(np.uint8), "L")
flavours = {
    "flavour_rgba": Image.merge("RGBA", small.split() + (alpha,)),
    "flavour_palette": small.convert("P", palette=Image.ADAPTIVE, colors=50),
    "flavour_gray": small.convert("L"),
    "flavour_gray_alpha": Image.merge("LA", (small.convert("L"), alpha)),
}
for name, img in flavours.items():
    img.save(os.path.join(OUT, name + ".png"))
    Image.open(os.path.join(OUT, name + ".png")).convert("RGB").save(os.path.join(OUT, name + ".rgb.png"))

inputs["rgb"].save(os.path.join(OUT, "rgb.jpg"), quality=90)
Image.open(os.path.join(OUT, "rgb.jpg")).convert("RGB").save(os.path.join(OUT, "rgb.jpg.pil.png"))
print("torch", torch.__version__, "torchvision", torchvision.__version__, "wrote", sorted(os.listdir(OUT)))
