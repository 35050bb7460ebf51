package dev.resnet4j.models;

import dev.resnet4j.nn.Module;

/** The two residual block kinds of torchvision's ResNet, with their channel expansion. */
public enum BlockType {
    /** Two 3×3 convolutions (ResNet-18/34); expansion 1. */
    BASIC(1),
    /** 1×1 reduce, 3×3 (carrying the stride), 1×1 expand (ResNet-50/101/152); expansion 4. */
    BOTTLENECK(4);

    public final int expansion;

    BlockType(int expansion) {
        this.expansion = expansion;
    }

    Module create(int inplanes, int planes, int stride, Module downsample) {
        return this == BASIC
                ? new BasicBlock(inplanes, planes, stride, downsample)
                : new Bottleneck(inplanes, planes, stride, downsample);
    }
}
