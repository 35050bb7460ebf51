package dev.resnet4j.data;

import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;

/**
 * torchvision's evaluation transform for one image, as a 1×C×crop×crop tensor:
 * {@code Resize(resize)} (shorter side, Pillow-exact antialiased bilinear, see
 * {@link PilResample}), {@code CenterCrop(crop)}, {@code ToTensor()}, {@code Normalize(mean, std)},
 * after converting the image to the model's channel count (RGB to grayscale with PIL's ITU-R
 * 601-2 luma, grayscale to RGB by replication).
 *
 * <p>Every step up to {@code ToTensor} works on 8-bit values and rounds as Pillow does: on the
 * fixtures of {@code tools/make_preprocess_fixtures.py} (PNG, down- and upscaling, odd crops,
 * padding, grayscale) the tensor equals torchvision's exactly. JPEG decoding matched PIL's
 * exactly on the JPEG fixture too (both use libjpeg's integer IDCT), but other decoder builds
 * may differ by a level or two.
 */
public final class ImagePreprocess {
    private final int channels;
    private final int resize;
    private final int crop;
    private final Normalization normalization;

    /**
     * @param channels the model's input channels, 1 or 3
     * @param resize   target of the shorter side, or 0 to keep the size
     * @param crop     side of the centre crop, or 0 for none
     */
    public ImagePreprocess(int channels, int resize, int crop, Normalization normalization) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (resize < 0 || crop < 0) {
            throw new IllegalArgumentException("resize and crop must be >= 0, got " + resize + " and " + crop);
        }
        normalization.check(channels);
        this.channels = channels;
        this.resize = resize;
        this.crop = crop;
        this.normalization = normalization;
    }

    /** The ImageNet recipe: RGB, Resize(256), CenterCrop(224), ImageNet mean and std. */
    public static ImagePreprocess imagenet() {
        return new ImagePreprocess(3, 256, 224, Normalization.IMAGENET);
    }

    /** Decodes {@code file} and preprocesses it into a 1×C×H×W tensor. */
    public Tensor load(Path file) throws IOException {
        return apply(ImageDecoder.read(file));
    }

    public Tensor apply(ByteImage image) {
        ByteImage img = prepare(image);
        Tensor t = Tensor.zeros(1, img.channels(), img.height(), img.width());
        img.toFloats(t.data(), 0);
        normalization.apply(t.data(), 0, img.channels(), img.height() * img.width());
        return t;
    }

    /** The 8-bit steps: channel conversion, resize, centre crop. */
    public ByteImage prepare(ByteImage image) {
        ByteImage img = image.toChannels(channels);
        if (resize > 0) {
            img = img.resizeShorterSide(resize);
        }
        if (crop > 0) {
            img = img.centerCrop(crop, crop);
        }
        return img;
    }
}
