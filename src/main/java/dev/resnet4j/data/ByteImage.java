package dev.resnet4j.data;

/**
 * An 8-bit image, planar C×H×W (C = 1 for grayscale, 3 for RGB): the form images take between
 * decoding and {@code ToTensor}, where PIL keeps them too, so every step can round like PIL does.
 */
public record ByteImage(int channels, int height, int width, byte[] data) {
    public ByteImage {
        if (channels < 1 || height < 1 || width < 1 || data.length != channels * height * width) {
            throw new IllegalArgumentException("a " + channels + "x" + height + "x" + width
                    + " image needs " + (long) channels * height * width + " bytes, got " + data.length);
        }
    }

    public int get(int c, int y, int x) {
        return data[(c * height + y) * width + x] & 0xff;
    }

    /**
     * Converts to {@code targetChannels}: RGB to grayscale with ITU-R 601-2 luma in PIL's fixed
     * point ({@code (R*19595 + G*38470 + B*7471 + 0x8000) >> 16}, i.e. R*299/1000 + G*587/1000 +
     * B*114/1000 rounded as {@code Image.convert("L")} does); grayscale to RGB by replication.
     */
    public ByteImage toChannels(int targetChannels) {
        if (targetChannels == channels) {
            return this;
        }
        int plane = height * width;
        if (channels == 1 && targetChannels == 3) {
            byte[] out = new byte[3 * plane];
            for (int c = 0; c < 3; c++) {
                System.arraycopy(data, 0, out, c * plane, plane);
            }
            return new ByteImage(3, height, width, out);
        }
        if (channels == 3 && targetChannels == 1) {
            byte[] out = new byte[plane];
            for (int i = 0; i < plane; i++) {
                int r = data[i] & 0xff;
                int g = data[plane + i] & 0xff;
                int b = data[2 * plane + i] & 0xff;
                out[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
            }
            return new ByteImage(1, height, width, out);
        }
        throw new IllegalArgumentException("cannot convert " + channels + " channels to " + targetChannels
                + " (only 1 and 3 are supported)");
    }

    /** Bilinear resize to exactly outHeight×outWidth with PIL's antialiasing; see {@link PilResample}. */
    public ByteImage resize(int outHeight, int outWidth) {
        return PilResample.bilinear(this, outHeight, outWidth);
    }

    /**
     * torchvision's {@code Resize(size)} with one int: the shorter side becomes {@code size}, the
     * longer {@code int(size * long / short)} (truncated, as torchvision computes it).
     */
    public ByteImage resizeShorterSide(int size) {
        if (height <= width) {
            return resize(size, (int) ((long) size * width / height));
        }
        return resize((int) ((long) size * height / width), size);
    }

    /**
     * torchvision's {@code CenterCrop((h, w))}: zero-pads first if the image is smaller (left/top
     * get the floor of half the missing pixels), then crops at
     * {@code round((H - h) / 2)}, rounding halves to even as Python's {@code round} does.
     */
    public ByteImage centerCrop(int outHeight, int outWidth) {
        int padTop = outHeight > height ? (outHeight - height) / 2 : 0;
        int padLeft = outWidth > width ? (outWidth - width) / 2 : 0;
        int paddedH = Math.max(height, outHeight);
        int paddedW = Math.max(width, outWidth);
        int top = (int) Math.rint((paddedH - outHeight) / 2.0) - padTop;
        int left = (int) Math.rint((paddedW - outWidth) / 2.0) - padLeft;
        byte[] out = new byte[channels * outHeight * outWidth];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outHeight; y++) {
                int sy = top + y;
                if (sy < 0 || sy >= height) {
                    continue;
                }
                for (int x = 0; x < outWidth; x++) {
                    int sx = left + x;
                    if (sx >= 0 && sx < width) {
                        out[(c * outHeight + y) * outWidth + x] = data[(c * height + sy) * width + sx];
                    }
                }
            }
        }
        return new ByteImage(channels, outHeight, outWidth, out);
    }

    /** torchvision's {@code ToTensor}: {@code byte / 255f} into {@code dst} from {@code off}, C×H×W. */
    public void toFloats(float[] dst, int off) {
        for (int i = 0; i < data.length; i++) {
            dst[off + i] = (data[i] & 0xff) / 255f;
        }
    }
}
