package dev.resnet4j.data;

import java.util.List;

/**
 * A dataset whose images are stored compactly as unsigned bytes, C×H×W per image.
 *
 * <p>Pixels become floats only when read, as {@code byte / 255f}, which is exactly what
 * torchvision's {@code ToTensor} computes.
 */
public class ByteImageDataset extends AbstractDataset {
    private final byte[] pixels;
    private final byte[] labels;

    /**
     * @param pixels  {@code count} images, each C×H×W unsigned bytes, back to back (not copied)
     * @param labels  one label per image, unsigned byte, each below {@code classNames.size()}
     */
    public ByteImageDataset(byte[] pixels, byte[] labels, int channels, int height, int width,
                            List<String> classNames) {
        super(labels.length, channels, height, width, classNames);
        long per = (long) channels * height * width;
        if (pixels.length != per * labels.length) {
            throw new IllegalArgumentException(labels.length + " labels need " + per * labels.length
                    + " pixel bytes but there are " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i] & 0xff;
            if (l >= classNames.size()) {
                throw new IllegalArgumentException("label " + l + " of image " + i + " is not below the "
                        + classNames.size() + " classes");
            }
        }
        this.pixels = pixels;
        this.labels = labels;
    }

    @Override
    public void get(int index, float[] dst, int dstOff) {
        int n = imageSize();
        int src = checkIndex(index) * n;
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = (pixels[src + i] & 0xff) / 255f;
        }
    }

    @Override
    public int label(int index) {
        return labels[checkIndex(index)] & 0xff;
    }

    /** The raw pixel byte {@code i} (0..255) of image {@code index}, C×H×W order. */
    public int pixel(int index, int i) {
        return pixels[checkIndex(index) * imageSize() + i] & 0xff;
    }
}
