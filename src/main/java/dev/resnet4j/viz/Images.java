package dev.resnet4j.viz;

import dev.resnet4j.io.AtomicFiles;
import dev.resnet4j.tensor.Tensor;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Conversions between tensors and AWT images, and file writing shared by the viz classes. */
public final class Images {
    private Images() {
    }

    /**
     * The image at {@code index} of a batch [N, C, H, W] (or the single image [C, H, W]) with
     * values in [0, 1]; C is 1 (grayscale) or 3 (RGB). Values outside [0, 1] are clamped, so
     * pass un-normalised pixels, not mean/std-standardised ones.
     */
    public static BufferedImage fromTensor(Tensor t, int index) {
        int[] s = t.shape();
        if (s.length == 3) {
            s = new int[]{1, s[0], s[1], s[2]};
        }
        if (s.length != 4) {
            throw new IllegalArgumentException("expected [N, C, H, W] or [C, H, W], got " + t.shapeString());
        }
        if (index < 0 || index >= s[0]) {
            throw new IndexOutOfBoundsException("image " + index + " of a batch of " + s[0]);
        }
        return fromPixels(t.data(), index * s[1] * s[2] * s[3], s[1], s[2], s[3]);
    }

    /** One image stored channel-major (C×H×W floats in [0, 1]) from {@code offset} of {@code data}. */
    public static BufferedImage fromPixels(float[] data, int offset, int channels, int height, int width) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images need 1 or 3 channels, got " + channels);
        }
        if (offset + channels * height * width > data.length) {
            throw new IllegalArgumentException("need " + channels * height * width + " values from offset " + offset
                    + " but there are only " + data.length);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = offset + y * width + x;
                int r = toByte(data[p]);
                int g = channels == 3 ? toByte(data[p + plane]) : r;
                int b = channels == 3 ? toByte(data[p + 2 * plane]) : r;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    private static int toByte(float v) {
        float c = Float.isNaN(v) ? 0f : Math.max(0f, Math.min(1f, v));
        return Math.round(c * 255f);
    }

    /** Writes a PNG, creating parent folders; fails loudly rather than writing nothing. */
    public static void writePng(BufferedImage image, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // Encoded in memory, then written to a temporary file and renamed: a failure or a kill
        // never leaves a half-written PNG under the requested name.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) {
            throw new IOException("no PNG writer available for " + png);
        }
        AtomicFiles.write(png, bytes.toByteArray());
    }

    /** {@code dir/name.png} → {@code dir/name<ext>} (ext including the dot). */
    static Path sibling(Path file, String ext) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return file.resolveSibling(stem + ext);
    }
}
