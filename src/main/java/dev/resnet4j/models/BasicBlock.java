package dev.resnet4j.models;

import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Module;
import dev.resnet4j.tensor.Tensor;

/**
 * ResNet-18/34's block: conv3x3(stride) → BN → ReLU → conv3x3 → BN, plus the shortcut, then
 * ReLU. Fields carry torchvision's names, so the state-dict keys are {@code conv1.weight},
 * {@code bn1.running_mean}, {@code downsample.0.weight}, ... See docs/architecture.md#basicblock.
 */
public final class BasicBlock extends Residual {
    public static final int EXPANSION = 1;
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Conv2d conv2;
    public final BatchNorm2d bn2;
    public final int stride;

    public BasicBlock(int inplanes, int planes, int stride, Module downsample) {
        super(downsample);
        this.conv1 = registerModule("conv1", Layers.conv3x3(inplanes, planes, stride));
        this.bn1 = registerModule("bn1", new BatchNorm2d(planes));
        this.conv2 = registerModule("conv2", Layers.conv3x3(planes, planes, 1));
        this.bn2 = registerModule("bn2", new BatchNorm2d(planes));
        if (downsample != null) {
            registerModule("downsample", downsample);
        }
        this.stride = stride;
    }

    @Override
    protected Tensor forwardMain(Tensor x) {
        Tensor out = bn1.forwardRelu(conv1.forward(x)); // BN and its ReLU in one pass
        return bn2.forward(conv2.forward(out));
    }

    @Override
    protected Tensor backwardMain(Tensor grad) {
        Tensor g = conv2.backward(bn2.backward(grad));
        return conv1.backward(bn1.backwardRelu(g));
    }

    @Override
    protected int[] mainShape(int[] in) {
        return conv2.outputShape(conv1.outputShape(in));
    }
}
