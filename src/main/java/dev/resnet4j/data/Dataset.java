package dev.resnet4j.data;

import java.util.List;

/**
 * A labelled image classification dataset held in memory.
 *
 * <p>Images come out as C×H×W floats in [0, 1], before normalisation, so augmentation that
 * pads with zeros (black) behaves like torchvision's transforms on PIL images.
 */
public interface Dataset {
    int size();

    int channels();

    int height();

    int width();

    int numClasses();

    /** Class names, index = label. */
    List<String> classNames();

    /** Writes image {@code index} as C×H×W floats in [0, 1] into {@code dst} from {@code dstOff}. */
    void get(int index, float[] dst, int dstOff);

    int label(int index);

    /** Floats per image: C×H×W. */
    default int imageSize() {
        return channels() * height() * width();
    }
}
