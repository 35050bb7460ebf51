package dev.resnet4j.models;

import dev.resnet4j.nn.Conv2d;

/** The seed's helpers: named after what they build, as in torchvision. */
public final class Layers {
    private Layers() {
    }

    /** 3×3 convolution with padding 1 and no bias (a BatchNorm follows, which has its own). */
    public static Conv2d conv3x3(int inPlanes, int outPlanes, int stride) {
        return new Conv2d(inPlanes, outPlanes, 3, stride, 1, false);
    }

    /** 1×1 convolution without bias: the projection shortcut and the bottleneck's reduce/expand. */
    public static Conv2d conv1x1(int inPlanes, int outPlanes, int stride) {
        return new Conv2d(inPlanes, outPlanes, 1, stride, 0, false);
    }
}
