package dev.resnet4j.data;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes PNG and JPEG (and whatever else {@code javax.imageio} reads: BMP, GIF) into a
 * {@link ByteImage}, refusing non-images and truncated files with a one-line message naming
 * the file.
 *
 * <p>Grayscale files stay one channel, read straight from the raster: going through
 * {@code getRGB} would push gray values through a colour-space conversion and change them.
 * Everything else becomes RGB; alpha is dropped, as PIL's {@code convert("RGB")} does.
 */
public final class ImageDecoder {
    /** Refuse larger images before decoding: a forged header must not make us allocate gigabytes. */
    public static final long MAX_PIXELS = 1L << 28;

    private ImageDecoder() {
    }

    public static ByteImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new InvalidDataException(file + ": cannot be opened as an image");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidDataException(file + ": not an image (expected PNG or JPEG)");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toUpperCase();
            StringBuilder warnings = new StringBuilder();
            // Truncated JPEGs decode "successfully" with a warning and grey rows: treat warnings as errors.
            IIOReadWarningListener listener = (source, warning) -> warnings.append(warnings.length() == 0 ? "" : "; ").append(warning);
            reader.addIIOReadWarningListener(listener);
            BufferedImage image;
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new InvalidDataException(file + ": " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " " + format + " image is larger than the " + MAX_PIXELS + " pixels we decode");
                }
                image = reader.read(0);
            } catch (InvalidDataException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new InvalidDataException(file + ": truncated or corrupt " + format + " image ("
                        + oneLine(e) + ")", e);
            } finally {
                reader.dispose();
            }
            if (warnings.length() > 0) {
                throw new InvalidDataException(file + ": truncated or corrupt " + format + " image ("
                        + warnings.toString().replace('\n', ' ') + ")");
            }
            return toByteImage(image);
        }
    }

    /** Planar bytes of a decoded image: one channel if it is grayscale, else RGB. */
    public static ByteImage toByteImage(BufferedImage image) {
        int h = image.getHeight();
        int w = image.getWidth();
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            int bits = cm.getComponentSize(0);
            int max = (1 << bits) - 1;
            byte[] out = new byte[h * w];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = row[x];
                    out[y * w + x] = (byte) (bits == 8 ? v : bits > 8 ? v >> (bits - 8) : (v * 255 + max / 2) / max);
                }
            }
            return new ByteImage(1, h, w, out);
        }
        int plane = h * w;
        byte[] out = new byte[3 * plane];
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int p = argb[x];
                int i = y * w + x;
                out[i] = (byte) (p >> 16);
                out[plane + i] = (byte) (p >> 8);
                out[2 * plane + i] = (byte) p;
            }
        }
        return new ByteImage(3, h, w, out);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null && e.getCause() != null) {
            m = e.getCause().toString();
        }
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }
}
