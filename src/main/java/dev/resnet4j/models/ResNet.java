package dev.resnet4j.models;

import dev.resnet4j.nn.AdaptiveAvgPool2d;
import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Flatten;
import dev.resnet4j.nn.Init;
import dev.resnet4j.nn.Linear;
import dev.resnet4j.nn.MaxPool2d;
import dev.resnet4j.nn.Module;
import dev.resnet4j.nn.Sequential;
import dev.resnet4j.tensor.Tensor;

import java.util.Arrays;

/**
 * The ResNet of the seed and of torchvision: a 7×7/2 stem with BN, ReLU and a 3×3/2
 * max-pool; four stages built by {@link #makeLayer}; global average pooling; a fully
 * connected layer returning logits. Any input size that survives the stem works, because
 * the pooling is adaptive. See docs/architecture.md for the walk-through.
 *
 * <pre>{@code
 * ResNet model = ResNets.resnet18(10, true);       // or new ResNet(BlockType.BASIC, new int[]{2, 2, 2, 2}, 10, true)
 * model.eval();                                     // BN uses running statistics
 * Tensor logits = model.forward(x);                 // x: [N, 1, H, W] -> [N, 10]
 * Tensor probs = Functional.softmax(logits);
 * }</pre>
 *
 * <p>Training: {@link #forward} in train mode, then {@link #backward} with the loss gradient
 * accumulates every parameter's gradient (see {@link Module}); {@code dev.resnet4j.train.Trainer}
 * runs that loop. Fields carry torchvision's names, so {@link #stateDict()} loads into
 * torchvision and torchvision's checkpoints load here.
 */
public final class ResNet extends Module {
    public final BlockType block;
    public final int[] layers;
    public final int numClasses;
    public final boolean grayscale;

    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final MaxPool2d maxpool;
    public final Sequential layer1;
    public final Sequential layer2;
    public final Sequential layer3;
    public final Sequential layer4;
    public final AdaptiveAvgPool2d avgpool;
    public final Linear fc;
    private final Flatten flatten = new Flatten();
    private int inplanes = 64; // the seed's "self.inplanes" state machine; only used while building
    private FoldedInference folded;
    private boolean foldedEnabled = true;

    /** Builds and initialises the network with seed 0. */
    public ResNet(BlockType block, int[] layers, int numClasses, boolean grayscale) {
        this(block, layers, numClasses, grayscale, 0L);
    }

    public ResNet(BlockType block, int[] layers, int numClasses, boolean grayscale, long seed) {
        if (layers.length != 4) {
            throw new IllegalArgumentException("layers must have 4 entries, got " + Arrays.toString(layers));
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        this.block = block;
        this.layers = layers.clone();
        this.numClasses = numClasses;
        this.grayscale = grayscale;
        int inDim = grayscale ? 1 : 3;
        conv1 = registerModule("conv1", new Conv2d(inDim, 64, 7, 2, 3, false));
        bn1 = registerModule("bn1", new BatchNorm2d(64));
        maxpool = registerModule("maxpool", new MaxPool2d(3, 2, 1));
        layer1 = registerModule("layer1", makeLayer(block, 64, layers[0], 1));
        layer2 = registerModule("layer2", makeLayer(block, 128, layers[1], 2));
        layer3 = registerModule("layer3", makeLayer(block, 256, layers[2], 2));
        layer4 = registerModule("layer4", makeLayer(block, 512, layers[3], 2));
        avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc = registerModule("fc", new Linear(512 * block.expansion, numClasses));
        initialise(seed);
    }

    /**
     * One stage: the first block takes the stride and, when the stride or the channel count
     * changes, a 1×1 conv + BN projection shortcut; the rest keep the shape with identity
     * shortcuts.
     */
    private Sequential makeLayer(BlockType block, int planes, int blocks, int stride) {
        Module downsample = null;
        if (stride != 1 || inplanes != planes * block.expansion) {
            downsample = new Sequential(
                    Layers.conv1x1(inplanes, planes * block.expansion, stride),
                    new BatchNorm2d(planes * block.expansion));
        }
        Sequential stage = new Sequential(block.create(inplanes, planes, stride, downsample));
        inplanes = planes * block.expansion;
        for (int i = 1; i < blocks; i++) {
            stage.add(block.create(inplanes, planes, 1, null));
        }
        return stage;
    }

    /**
     * The seed's initialisation: conv weights ~ N(0, 2/n) with n = kh·kw·out_channels (He,
     * fan-out); BN weight 1, bias 0; the linear layer keeps PyTorch's default U(±1/√fan_in).
     * Deterministic for a given seed.
     */
    public void initialise(long seed) {
        Init init = new Init(seed);
        for (Module m : namedModules().values()) {
            if (m instanceof Conv2d c) {
                int n = c.kernelSize * c.kernelSize * c.outChannels;
                init.normal(c.weight.value(), 0.0, Math.sqrt(2.0 / n));
            } else if (m instanceof BatchNorm2d bn) {
                bn.weight.value().fill(1f);
                bn.bias.value().fill(0f);
            } else if (m instanceof Linear l) {
                l.resetParameters(init);
            }
        }
    }

    /** Input channels the stem expects: 1 for grayscale, 3 for RGB. */
    public int inChannels() {
        return grayscale ? 1 : 3;
    }

    /**
     * Logits [N, numClasses] for a batch [N, C, H, W]; softmax them for probabilities. In eval
     * mode the batch goes through the folded plan (BN folded into the convolutions, ReLU and
     * residual add fused); call {@link #eval()} again after changing weights by hand.
     */
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != inChannels()) {
            throw new IllegalArgumentException("the model expects input [N, " + inChannels() + ", H, W], got " + x.shapeString());
        }
        if (!training && foldedEnabled) {
            if (folded == null) {
                folded = new FoldedInference(this);
            }
            return folded.forward(x);
        }
        x = features(x);
        x = avgpool.forward(x);
        x = flatten.forward(x);
        return fc.forward(x);
    }

    @Override
    protected void stateChanged() {
        folded = null;
    }

    /**
     * Whether eval-mode forward uses the folded plan (default) or runs every module as in
     * training, keeping what backward needs (Grad-CAM needs the latter).
     */
    public ResNet setFoldedInference(boolean on) {
        foldedEnabled = on;
        folded = null;
        return this;
    }

    /** The four stages, layer1 to layer4. */
    public java.util.List<Sequential> stages() {
        return java.util.List.of(layer1, layer2, layer3, layer4);
    }

    /** The stem: 7×7/2 convolution, BN, ReLU, 3×3/2 max-pool. */
    public Tensor stem(Tensor x) {
        x = conv1.forward(x);
        x = bn1.forwardRelu(x); // BN and ReLU in one pass
        return maxpool.forward(x);
    }

    /** Stem and four stages: the last convolutional feature map [N, 512·expansion, H/32, W/32]. */
    public Tensor features(Tensor x) {
        x = stem(x);
        x = layer1.forward(x);
        x = layer2.forward(x);
        x = layer3.forward(x);
        return layer4.forward(x);
    }

    @Override
    public Tensor backward(Tensor grad) {
        grad = fc.backward(grad);
        grad = flatten.backward(grad);
        grad = avgpool.backward(grad);
        return backwardFeatures(grad);
    }

    /** Backward from the gradient w.r.t. {@link #features}'s output to the input. */
    public Tensor backwardFeatures(Tensor grad) {
        return backwardFeatures(grad, true);
    }

    /**
     * The training backward: accumulates every parameter's gradient from the gradient w.r.t.
     * the logits, without the gradient w.r.t. the input images (PyTorch skips it too, as the
     * input does not require grad); the stem's 7×7 input-gradient product is the part saved.
     */
    public void backwardParameters(Tensor grad) {
        grad = fc.backward(grad);
        grad = flatten.backward(grad);
        grad = avgpool.backward(grad);
        backwardFeatures(grad, false);
    }

    private Tensor backwardFeatures(Tensor grad, boolean inputGradient) {
        grad = layer4.backward(grad);
        grad = layer3.backward(grad);
        grad = layer2.backward(grad);
        grad = layer1.backward(grad);
        grad = maxpool.backward(grad);
        grad = bn1.backwardRelu(grad);
        return conv1.backward(grad, inputGradient);
    }

    @Override
    public int[] outputShape(int[] in) {
        return new int[]{in[0], numClasses};
    }

}
