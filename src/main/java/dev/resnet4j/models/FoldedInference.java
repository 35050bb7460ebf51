package dev.resnet4j.models;

import dev.resnet4j.kernels.Align;
import dev.resnet4j.kernels.ConvMaxPool;
import dev.resnet4j.kernels.Convolution;
import dev.resnet4j.kernels.PackedConv;
import dev.resnet4j.kernels.PackedStem;
import dev.resnet4j.kernels.PaddedWinograd;
import dev.resnet4j.kernels.Pooling;
import dev.resnet4j.kernels.Winograd;
import dev.resnet4j.nn.BatchNorm2d;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.MaxPool2d;
import dev.resnet4j.nn.Module;
import dev.resnet4j.nn.Sequential;
import dev.resnet4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Eval-mode forward with every BatchNorm folded into the convolution before it and the ReLU
 * and residual add fused into the convolution's output pass:
 * {@code w' = w·γ/√(σ²+ε)}, {@code b' = β − μ·γ/√(σ²+ε)}. Built from a ResNet's current
 * weights and running statistics; the ResNet drops it when its weights or mode change.
 * The 3×3 stride-1 convolutions run as Winograd F(4×4, 3×3), or F(2×2, 3×3) on the few
 * pixels of small batches ({@link Winograd#tileFor} decides, {@code -Dresnet4j.winograd=off}
 * turns it off), their folded filters transformed on first use of each tile size. Convolutions
 * with few pixels per image run as {@link PackedConv} where it is faster ({@link
 * PackedConv#applies}: at batch 1 layer2's stride-2 convolution, layer3 and layer4; at larger
 * batches the stride-2 3×3 ones, layer2's only where the tiles run two at a time), their folded
 * filters packed on first use. Each run of blocks that all suit it (on 224 px every block
 * after the stem at batch 1, and at batch 16 where PackedConv's tiles run in pairs, JDK 25;
 * layer1, then from layer2's second block, otherwise) keeps its activations in the
 * padded channels-last layout instead, each convolution reading its input in place:
 * {@link PaddedWinograd} where the plain plan runs F(4,3), {@link PackedConv#forwardPadded}
 * elsewhere (see {@link #forward}).
 *
 * <p>Every intermediate result has its own buffer, reused from one forward to the next while
 * the batch shape stays (only the logits leave this class, and they are fresh), so a served
 * model allocates no activations in steady state and the collector has nothing large to copy.
 * Like the modules themselves, a plan is for one thread at a time.
 */
final class FoldedInference {
    /** One convolution with its BN folded in, and the buffer its output goes to. */
    private static final class Folded {
        final Conv2d conv;
        final float[] weight;
        final float[] bias;
        private Tensor out;
        /** The weights transformed for Winograd F(m, 3) at [m], made on first use of each m. */
        private final float[][] winograd = new float[5][];
        /** The weights packed in output-channel panels for {@link PackedConv}, made on first use. */
        private float[] packed;
        /** The Winograd weights repacked for {@link PaddedWinograd}, made on first use. */
        private float[] winogradPadded;
        /** Its output in the padded channels-last layout ({@link PackedConv#toPadded}), and that output's shape. */
        private float[] paddedOut;
        private Convolution.Shape paddedShape;

        private Folded(Conv2d conv, float[] weight, float[] bias) {
            this.conv = conv;
            this.weight = weight;
            this.bias = bias;
        }

        static Folded of(Conv2d conv, BatchNorm2d bn) {
            int out = conv.outChannels;
            int per = conv.weight.size() / out;
            float[] w = conv.weight.data().clone();
            float[] b = new float[out];
            float[] g = bn.weight.data();
            float[] beta = bn.bias.data();
            float[] mean = bn.runningMean.data();
            float[] var = bn.runningVar.data();
            for (int o = 0; o < out; o++) {
                float scale = (float) (g[o] / Math.sqrt(var[o] + bn.eps));
                for (int j = 0; j < per; j++) {
                    w[o * per + j] *= scale;
                }
                b[o] = beta[o] - mean[o] * scale;
            }
            return new Folded(conv, w, b);
        }

        /** This convolution's shape on input x. */
        Convolution.Shape shape(Tensor x) {
            return new Convolution.Shape(x.dim(0), conv.inChannels, x.dim(2), x.dim(3), conv.outChannels,
                    conv.kernelSize, conv.kernelSize, conv.stride, conv.padding);
        }

        Tensor apply(Tensor x, Tensor residual, boolean relu) {
            Convolution.Shape s = shape(x);
            out = Tensor.reuseOrZeros(out, s.n(), conv.outChannels, s.oh(), s.ow()); // every element is written
            float[] res = residual == null ? null : residual.data();
            int m = Winograd.tileFor(s);
            if (PackedConv.applies(s, m)) {
                if (packed == null) {
                    packed = PackedConv.pack(weight, conv.outChannels, conv.inChannels,
                            conv.kernelSize * conv.kernelSize);
                }
                PackedConv.forward(s, x.data(), packed, bias, res, relu, out.data());
            } else if (m != 0) {
                if (winograd[m] == null) {
                    winograd[m] = Winograd.transformWeights(m, weight, conv.outChannels, conv.inChannels);
                }
                Winograd.forward(m, s, x.data(), winograd[m], bias, res, relu, out.data());
            } else {
                Convolution.forward(s, x.data(), weight, bias, res, relu, out.data());
            }
            return out;
        }

        /**
         * This convolution on x [n, C, H, W] held in the padded channels-last layout, into its
         * own buffer in that layout (zero border), with {@link PackedConv#forwardPadded}.
         */
        float[] applyPadded(float[] x, int n, int h, int w, float[] residual, boolean relu) {
            Convolution.Shape s = new Convolution.Shape(n, conv.inChannels, h, w, conv.outChannels,
                    conv.kernelSize, conv.kernelSize, conv.stride, conv.padding);
            if (!s.equals(paddedShape)) { // a fresh buffer: its border must be zero
                paddedOut = PackedConv.newPadded(n, conv.outChannels, s.oh(), s.ow());
                paddedShape = s;
            }
            if (paddedWinograd(s)) {
                if (winograd[4] == null) {
                    winograd[4] = Winograd.transformWeights(4, weight, conv.outChannels, conv.inChannels);
                }
                if (winogradPadded == null) {
                    winogradPadded = PaddedWinograd.pack(winograd[4], conv.outChannels, conv.inChannels);
                }
                PaddedWinograd.forward(s, x, winogradPadded, bias, residual, relu, paddedOut);
                return paddedOut;
            }
            if (packed == null) {
                packed = PackedConv.pack(weight, conv.outChannels, conv.inChannels,
                        conv.kernelSize * conv.kernelSize);
            }
            PackedConv.forwardPadded(s, x, packed, bias, residual, relu, paddedOut);
            return paddedOut;
        }

        /** Whether the channels-last run takes this convolution as Winograd F(4,3): where the plain plan would. */
        private static boolean paddedWinograd(Convolution.Shape s) {
            return Winograd.tileFor(s) == 4 && PaddedWinograd.applies(s);
        }

        /** Whether the chain of padded channels-last convolutions takes this one on input [n, C, h, w]. */
        boolean suitsPadded(int n, int h, int w) {
            Convolution.Shape s = new Convolution.Shape(n, conv.inChannels, h, w, conv.outChannels,
                    conv.kernelSize, conv.kernelSize, conv.stride, conv.padding);
            if (s.oh() <= 0 || s.ow() <= 0 || !PackedConv.PADDED) {
                return false;
            }
            if (paddedWinograd(s)) {
                return true;
            }
            if (!PackedConv.appliesPadded(s)) {
                return false;
            }
            // a 1×1 projection joins the run whatever path the plain plan would take (what made
            // it slower as PackedConv there, the copy of its input, is gone; forwardPadded sums
            // it in the depth blocks of the plain plan's strided product where that runs it);
            // the others only where the plain plan runs them as PackedConv too
            return conv.kernelSize == 1 && conv.stride > 1 || PackedConv.applies(s, Winograd.tileFor(s));
        }
    }

    /** A residual block as a list of folded convolutions (2 or 3) plus its folded shortcut. */
    private record Block(List<Folded> main, Folded shortcut) {
    }

    private Tensor pooled;
    /** The runs of blocks [from, to) the last forward kept in the padded layout, as {from, to, from, to, …}; tests read them. */
    int[] lastRuns = new int[0];
    /** Whether the last forward's stem ran as {@link PackedStem}; tests read it. */
    boolean lastStemPacked;
    private float[] stemPadded;
    private int stemPaddedN;
    private int stemPaddedH;
    private int stemPaddedW;
    /** Per block: the padded input of a run that starts there (copied in), and the NCHW output of one that ends there. */
    private float[][] paddedInputs;
    private Tensor[] paddedOutputs;
    private Tensor pooledFeatures;

    private final ResNet net;
    private final Folded stem;
    private final List<Block> blocks = new ArrayList<>();

    FoldedInference(ResNet net) {
        this.net = net;
        this.stem = Folded.of(net.conv1, net.bn1);
        for (Sequential stage : List.of(net.layer1, net.layer2, net.layer3, net.layer4)) {
            for (Module m : stage.layers()) {
                List<Folded> main = new ArrayList<>();
                Module down;
                if (m instanceof BasicBlock b) {
                    main.add(Folded.of(b.conv1, b.bn1));
                    main.add(Folded.of(b.conv2, b.bn2));
                    down = b.downsample;
                } else {
                    Bottleneck b = (Bottleneck) m;
                    main.add(Folded.of(b.conv1, b.bn1));
                    main.add(Folded.of(b.conv2, b.bn2));
                    main.add(Folded.of(b.conv3, b.bn3));
                    down = b.downsample;
                }
                Folded shortcut = null;
                if (down != null) {
                    Sequential d = (Sequential) down;
                    shortcut = Folded.of((Conv2d) d.get(0), (BatchNorm2d) d.get(1));
                }
                blocks.add(new Block(main, shortcut));
            }
        }
        paddedInputs = new float[blocks.size()][];
        paddedOutputs = new Tensor[blocks.size() + 1];
    }

    /**
     * The stem convolution with its ReLU, then the max-pool, as NCHW: in one pass where
     * {@link ConvMaxPool} applies (the stem's output is then never written), else in two.
     */
    private Tensor stemAndPool(Tensor x, Convolution.Shape s, int oh, int ow) {
        MaxPool2d mp = net.maxpool;
        pooled = Tensor.reuseOrZeros(pooled, s.n(), s.outC(), oh, ow);
        if (ConvMaxPool.forward(s, x.data(), stem.weight, stem.bias, true, mp.kernelSize, mp.stride, mp.padding,
                pooled.data())) {
            return pooled;
        }
        x = stem.apply(x, null, true);
        Pooling.maxPool(x.data(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), mp.kernelSize, mp.stride, mp.padding,
                pooled.data());
        return pooled;
    }

    /**
     * The stem convolution with its ReLU, then the max-pool, with {@link PackedStem}: into the
     * padded channels-last layout [n, oh + 2, ow + 2, C] (a buffer of this plan's, its border
     * zero).
     */
    private float[] packedStem(Tensor x, Convolution.Shape s, int oh, int ow) {
        MaxPool2d mp = net.maxpool;
        if (stemPadded == null || stemPaddedN != s.n() || stemPaddedH != oh || stemPaddedW != ow) {
            stemPadded = PackedConv.newPadded(s.n(), s.outC(), oh, ow); // fresh: a zero border
            stemPaddedN = s.n();
            stemPaddedH = oh;
            stemPaddedW = ow;
        }
        if (stem.packed == null) {
            stem.packed = PackedStem.pack(stem.weight, s.outC(), s.c(), s.kh(), s.kw());
        }
        PackedStem.forward(s, x.data(), stem.packed, stem.bias, true, mp.kernelSize, mp.stride, mp.padding,
                stemPadded);
        return stemPadded;
    }

    /**
     * Logits for a batch, equal to the unfolded eval-mode forward up to float rounding. The
     * stem runs as {@link PackedStem} where it applies (into the padded channels-last layout),
     * else as {@link ConvMaxPool} or in two steps; whichever layout follows, so the bits do not
     * depend on it. Each run of blocks whose every convolution suits the padded
     * channels-last form ({@link PaddedWinograd#applies} for the F(4,3) ones,
     * {@link PackedConv#appliesPadded} for the others: on 224 px every block at batch 1, and
     * at batch 16 on JDK 25) keeps its activations in that layout, taken over from the
     * packed stem or copied into it once, and copied back once (or pooled from it), instead of
     * converted at every convolution: the same bits either way.
     */
    Tensor forward(Tensor x) {
        Convolution.Shape s = stem.shape(x);
        MaxPool2d mp = net.maxpool;
        int ph = Pooling.outSize(s.oh(), mp.kernelSize, mp.stride, mp.padding);
        int pw = Pooling.outSize(s.ow(), mp.kernelSize, mp.stride, mp.padding);
        if (s.oh() <= 0 || s.ow() <= 0 || ph <= 0 || pw <= 0) {
            throw new IllegalArgumentException("MaxPool2d: input "
                    + Tensor.shapeString(new int[]{s.n(), s.outC(), s.oh(), s.ow()}) + " is too small");
        }
        int[] runs = paddedRuns(s.n(), ph, pw);
        lastRuns = runs;
        boolean packed = PackedStem.applies(s, mp.kernelSize, mp.stride, mp.padding);
        lastStemPacked = packed;
        float[] padded = null;
        if (packed) {
            padded = packedStem(x, s, ph, pw);
            if (runs.length == 0 || runs[0] > 0) {
                pooled = Tensor.reuseOrZeros(pooled, s.n(), s.outC(), ph, pw);
                PackedConv.fromPadded(s.n(), s.outC(), ph, pw, padded, pooled.data());
                padded = null;
                x = pooled;
            }
        } else {
            x = stemAndPool(x, s, ph, pw);
        }
        boolean pooledAlready = false;
        for (int k = 0; k < blocks.size(); ) {
            int r = runAt(runs, k);
            if (r >= 0) {
                int to = runs[r + 1];
                x = k == 0 && padded != null ? paddedRun(padded, s.n(), s.outC(), ph, pw, k, to)
                        : paddedRun(x, k, to);
                k = to;
                pooledAlready = k == blocks.size() && globalPool();
                continue;
            }
            Block b = blocks.get(k);
            Tensor identity = b.shortcut() == null ? x : b.shortcut().apply(x, null, false);
            Tensor out = x;
            int last = b.main().size() - 1;
            for (int i = 0; i < last; i++) {
                out = b.main().get(i).apply(out, null, true);
            }
            x = b.main().get(last).apply(out, identity, true);
            k++;
        }
        if (!pooledAlready) {
            x = net.avgpool.forward(x);
        }
        return net.fc.forward(x.reshape(x.dim(0), x.dim(1) * x.dim(2) * x.dim(3)));
    }

    private boolean globalPool() {
        return net.avgpool.outH == 1 && net.avgpool.outW == 1;
    }

    /** Residual blocks in the plan. */
    int blockCount() {
        return blocks.size();
    }

    /**
     * The runs of blocks that keep their activations in the padded channels-last layout, given
     * the blocks' input [n, C, h, w]: every maximal run of consecutive blocks whose every
     * convolution suits it, as {from, to, from, to, …} (none where the layout is switched off).
     * Each run is entered once (from the packed stem's output, or by one copy) and left once.
     */
    private int[] paddedRuns(int n, int h, int w) {
        if (!PackedConv.PADDED) {
            return new int[0];
        }
        List<Integer> runs = new ArrayList<>();
        int from = -1;
        for (int k = 0; k < blocks.size(); k++) {
            Block b = blocks.get(k);
            boolean ok = b.shortcut() == null || b.shortcut().suitsPadded(n, h, w);
            int bh = h;
            int bw = w;
            for (Folded f : b.main()) {
                ok &= f.suitsPadded(n, bh, bw);
                int oh = (bh + 2 * f.conv.padding - f.conv.kernelSize) / f.conv.stride + 1;
                int ow = (bw + 2 * f.conv.padding - f.conv.kernelSize) / f.conv.stride + 1;
                bh = oh;
                bw = ow;
            }
            h = bh;
            w = bw;
            if (ok && from < 0) {
                from = k;
            } else if (!ok && from >= 0) {
                runs.add(from);
                runs.add(k);
                from = -1;
            }
        }
        if (from >= 0) {
            runs.add(from);
            runs.add(blocks.size());
        }
        return runs.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The index in runs of the run that starts at block k, or −1. */
    private static int runAt(int[] runs, int k) {
        for (int r = 0; r < runs.length; r += 2) {
            if (runs[r] == k) {
                return r;
            }
        }
        return -1;
    }

    /**
     * Blocks [from, to) on x in the padded channels-last layout: then, after the last block, the
     * global average pool ([n, C, 1, 1]) if it is one, else the activations back in NCHW.
     */
    private Tensor paddedRun(Tensor x, int from, int to) {
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        float[] in = paddedInputs[from];
        if (in == null || in.length != Align.activations() + PackedConv.paddedSize(n, c, h, w)) {
            in = PackedConv.newPadded(n, c, h, w);
            paddedInputs[from] = in;
        }
        PackedConv.toPadded(n, c, h, w, x.data(), in); // writes the border too
        return paddedRun(in, n, c, h, w, from, to);
    }

    /** As above, the input [n, C, h, w] already in the padded channels-last layout. */
    private Tensor paddedRun(float[] input, int n, int c, int h, int w, int from, int to) {
        float[] cur = input;
        for (int k = from; k < to; k++) {
            Block b = blocks.get(k);
            float[] identity = b.shortcut() == null ? cur : b.shortcut().applyPadded(cur, n, h, w, null, false);
            float[] out = cur;
            int bh = h;
            int bw = w;
            int last = b.main().size() - 1;
            for (int i = 0; i <= last; i++) {
                Folded f = b.main().get(i);
                out = f.applyPadded(out, n, bh, bw, i == last ? identity : null, true);
                bh = f.paddedShape.oh();
                bw = f.paddedShape.ow();
            }
            cur = out;
            c = b.main().get(last).conv.outChannels;
            h = bh;
            w = bw;
        }
        if (to == blocks.size() && globalPool()) {
            pooledFeatures = Tensor.reuseOrZeros(pooledFeatures, n, c, 1, 1);
            PackedConv.avgPoolPadded(n, c, h, w, cur, pooledFeatures.data());
            return pooledFeatures;
        }
        Tensor out = Tensor.reuseOrZeros(paddedOutputs[to], n, c, h, w);
        paddedOutputs[to] = out;
        PackedConv.fromPadded(n, c, h, w, cur, out.data());
        return out;
    }
}
