package dev.resnet4j.models;

import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;

/**
 * ResNet-50/101/152's block (torchvision's "ResNet v1.5"): conv1x1 → BN → ReLU → conv3x3
 * carrying the stride → BN → ReLU → conv1x1 expanding to 4·planes → BN, plus the shortcut,
 * then ReLU.
 */
public final class Bottleneck extends Residual {
    public static final int EXPANSION = 4;
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Conv2d conv2;
    public final BatchNorm2d bn2;
    public final Conv2d conv3;
    public final BatchNorm2d bn3;
    public final int stride;

    public Bottleneck(int inplanes, int planes, int stride, Module downsample) {
        super(downsample);
        int width = planes; // groups = 1, base width 64
        this.conv1 = registerModule("conv1", Layers.conv1x1(inplanes, width, 1));
        this.bn1 = registerModule("bn1", new BatchNorm2d(width));
        this.conv2 = registerModule("conv2", Layers.conv3x3(width, width, stride));
        this.bn2 = registerModule("bn2", new BatchNorm2d(width));
        this.conv3 = registerModule("conv3", Layers.conv1x1(width, planes * EXPANSION, 1));
        this.bn3 = registerModule("bn3", new BatchNorm2d(planes * EXPANSION));
        if (downsample != null) {
            registerModule("downsample", downsample);
        }
        this.stride = stride;
    }

    @Override
    protected Tensor forwardMain(Tensor x) {
        Tensor out = bn1.forwardRelu(conv1.forward(x)); // BN and its ReLU in one pass
        out = bn2.forwardRelu(conv2.forward(out));
        return bn3.forward(conv3.forward(out));
    }

    @Override
    protected Tensor backwardMain(Tensor grad) {
        Tensor g = conv3.backward(bn3.backward(grad));
        g = conv2.backward(bn2.backwardRelu(g));
        return conv1.backward(bn1.backwardRelu(g));
    }

    @Override
    protected int[] mainShape(int[] in) {
        return conv3.outputShape(conv2.outputShape(conv1.outputShape(in)));
    }
}
