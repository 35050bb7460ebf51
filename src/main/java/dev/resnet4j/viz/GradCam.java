package dev.resnet4j.viz;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.Flatten;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.nn.Parameter;
import dev.resnet4j.tensor.Tensor;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Grad-CAM (Selvaraju et al., 2017) on the last convolutional feature map of a ResNet.
 *
 * <p>With A = layer4's output [1, K, h, w] and y_c the target logit, the channel weights are
 * α_k = mean_ij ∂y_c/∂A_k(i,j) and the map is ReLU(Σ_k α_k A_k): the regions whose features
 * push the class score up. The gradient comes from the head modules' own backward passes
 * (fc → flatten → avgpool), so a different head would still give the right weights; for
 * ResNet's avgpool + linear head it equals W_fc[c,k] / (h·w) at every position.
 */
public final class GradCam {
    private GradCam() {
    }

    /**
     * @param targetClass the class explained
     * @param logits      the model's logits for the image
     * @param weights     α_k per feature channel
     * @param coarse      ReLU(Σ α_k A_k) at feature resolution [h][w], not normalised
     * @param cam         the map upsampled bilinearly to the input size [H][W] and scaled to [0, 1]
     *                    (all zeros if no position has positive evidence)
     */
    public record Result(int targetClass, float[] logits, float[] weights, float[][] coarse, float[][] cam) {
        public int predictedClass() {
            return Functional.argmax(new Tensor(logits, 1, logits.length))[0];
        }
    }

    /** Grad-CAM for the predicted class of {@code image} [1, C, H, W]. */
    public static Result compute(ResNet model, Tensor image) {
        return compute(model, image, -1);
    }

    /**
     * Grad-CAM for {@code targetClass} (or the predicted class if negative). Runs the model in
     * eval mode and restores its previous mode; parameter gradients are left untouched.
     */
    public static Result compute(ResNet model, Tensor image, int targetClass) {
        return compute(model, image, targetClass, 3);
    }

    /**
     * The deepest stage (0 = layer1 … 3 = layer4) whose output is at least 7×7 for an input of
     * this size, so the map has some resolution: layer4 at 224×224, layer1 at 28×28.
     */
    public static int defaultStage(ResNet model, int height, int width) {
        int[] s = {1, model.inChannels(), height, width};
        s = model.conv1.outputShape(s);
        s = model.maxpool.outputShape(s);
        int best = 0;
        for (int i = 0; i < 4; i++) {
            s = model.stages().get(i).outputShape(s);
            if (Math.min(s[2], s[3]) >= 7) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Grad-CAM on the output of stage {@code stage} (0 = layer1 … 3 = layer4, the classic
     * choice): the gradient flows back from the target logit through the later stages' own
     * backward passes. Parameter gradients are left untouched.
     */
    public static Result compute(ResNet model, Tensor image, int targetClass, int stage) {
        if (stage < 0 || stage > 3) {
            throw new IllegalArgumentException("stage must be 0..3 (layer1..layer4), got " + stage);
        }
        if (image.rank() != 4 || image.dim(0) != 1 || image.dim(1) != model.inChannels()) {
            throw new IllegalArgumentException("Grad-CAM explains one image [1, " + model.inChannels()
                    + ", H, W], got " + image.shapeString());
        }
        if (targetClass >= model.numClasses) {
            throw new IllegalArgumentException("target class " + targetClass + " but the model has " + model.numClasses + " classes");
        }
        boolean wasTraining = model.isTraining();
        // Eval mode: BN must use running statistics (and must not update them) for an explanation.
        model.eval();
        try {
            java.util.List<dev.resnet4j.nn.Sequential> stages = model.stages();
            Tensor a = model.stem(image);
            for (int i = 0; i <= stage; i++) {
                a = stages.get(i).forward(a);
            }
            Tensor top = a;
            for (int i = stage + 1; i < 4; i++) {
                top = stages.get(i).forward(top);
            }
            Flatten flatten = new Flatten(); // ResNet's own is private; it is stateless apart from the shape
            Tensor logits = model.fc.forward(flatten.forward(model.avgpool.forward(top)));
            int target = targetClass >= 0 ? targetClass : Functional.argmax(logits)[0];

            Tensor onehot = Tensor.zeros(1, model.numClasses);
            onehot.data()[target] = 1f;
            Tensor gradA = backwardHead(model, flatten, onehot, stage);

            int k = a.dim(1);
            int h = a.dim(2);
            int w = a.dim(3);
            int hw = h * w;
            float[] ad = a.data();
            float[] gd = gradA.data();
            float[] alpha = new float[k];
            for (int c = 0; c < k; c++) {
                double s = 0;
                for (int p = 0; p < hw; p++) {
                    s += gd[c * hw + p];
                }
                alpha[c] = (float) (s / hw);
            }
            float[][] coarse = new float[h][w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int c = 0; c < k; c++) {
                        s += alpha[c] * ad[c * hw + y * w + x];
                    }
                    coarse[y][x] = (float) Math.max(0, s);
                }
            }
            float[][] cam = normalise(upsampleBilinear(coarse, image.dim(2), image.dim(3)));
            return new Result(target, logits.data().clone(), alpha, coarse, cam);
        } finally {
            model.train(wasTraining);
        }
    }

    /** dy/dA through fc, flatten and avgpool, without accumulating into fc's parameter gradients. */
    private static Tensor backwardHead(ResNet model, Flatten flatten, Tensor gradLogits, int stage) {
        java.util.Map<String, Parameter> params = model.namedParameters();
        java.util.Map<String, Boolean> was = new java.util.HashMap<>();
        params.forEach((k, p) -> {
            was.put(k, p.requiresGrad());
            p.setRequiresGrad(false);
        });
        try {
            Tensor g = model.avgpool.backward(flatten.backward(model.fc.backward(gradLogits)));
            for (int i = 3; i > stage; i--) {
                g = model.stages().get(i).backward(g);
            }
            return g;
        } finally {
            params.forEach((k, p) -> p.setRequiresGrad(was.get(k)));
        }
    }

    /**
     * Bilinear resize as PyTorch's {@code F.interpolate(mode="bilinear", align_corners=False)}:
     * output pixel centres map to input coordinates (o + 0.5)·in/out − 0.5, clamped at the edges.
     */
    public static float[][] upsampleBilinear(float[][] map, int outH, int outW) {
        int inH = map.length;
        int inW = map[0].length;
        float[][] out = new float[outH][outW];
        double sy = (double) inH / outH;
        double sx = (double) inW / outW;
        for (int oy = 0; oy < outH; oy++) {
            double fy = Math.max(0, (oy + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, inH - 1);
            int y1 = Math.min(y0 + 1, inH - 1);
            double wy = fy - y0;
            for (int ox = 0; ox < outW; ox++) {
                double fx = Math.max(0, (ox + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, inW - 1);
                int x1 = Math.min(x0 + 1, inW - 1);
                double wx = fx - x0;
                double top = map[y0][x0] * (1 - wx) + map[y0][x1] * wx;
                double bottom = map[y1][x0] * (1 - wx) + map[y1][x1] * wx;
                out[oy][ox] = (float) (top * (1 - wy) + bottom * wy);
            }
        }
        return out;
    }

    /** Min-max scaling to [0, 1]; a flat map (no evidence anywhere) becomes all zeros. */
    static float[][] normalise(float[][] m) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float[] row : m) {
            for (float v : row) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        float range = max - min;
        float[][] out = new float[m.length][m[0].length];
        if (range > 1e-12f) {
            for (int y = 0; y < m.length; y++) {
                for (int x = 0; x < m[0].length; x++) {
                    out[y][x] = (m[y][x] - min) / range;
                }
            }
        }
        return out;
    }

    /**
     * Writes the original and the Grad-CAM overlay side by side, upscaled so small inputs
     * (28×28) are visible, with a colour bar.
     */
    public static void overlay(BufferedImage original, float[][] cam, Path png) throws IOException {
        overlay(original, cam, "Grad-CAM", png);
    }

    /** As {@link #overlay(BufferedImage, float[][], Path)} with a title over the overlay panel (e.g. the class name). */
    public static void overlay(BufferedImage original, float[][] cam, String title, Path png) throws IOException {
        int scale = Math.max(1, (int) Math.ceil(224.0 / Math.min(original.getWidth(), original.getHeight())));
        int w = original.getWidth() * scale;
        int h = original.getHeight() * scale;
        BufferedImage big = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D bg = big.createGraphics();
        bg.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        bg.drawImage(original, 0, 0, w, h, null);
        bg.dispose();
        BufferedImage blended = blend(big, cam, 0.5);

        int pad = 12;
        int titleH = 26;
        int barW = 16;
        int width = pad + w + pad + w + pad + barW + 40;
        int height = titleH + h + pad;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString("input", pad, titleH - 8);
        g.drawString(title, 2 * pad + w, titleH - 8);
        g.drawImage(big, pad, titleH, null);
        g.drawImage(blended, 2 * pad + w, titleH, null);
        // Colour bar: high relevance on top.
        int bx = 3 * pad + 2 * w;
        for (int y = 0; y < h; y++) {
            g.setColor(new Color(turbo(1f - (float) y / Math.max(1, h - 1))));
            g.drawLine(bx, titleH + y, bx + barW, titleH + y);
        }
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString("1", bx + barW + 4, titleH + 10);
        g.drawString("0", bx + barW + 4, titleH + h);
        g.dispose();
        Images.writePng(out, png);
    }

    /** The image with the turbo-coloured map blended over it at {@code alpha}; the map is resized to the image. */
    public static BufferedImage blend(BufferedImage image, float[][] cam, double alpha) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[][] m = cam.length == h && cam[0].length == w ? cam : upsampleBilinear(cam, h, w);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = image.getRGB(x, y);
                int c = turbo(m[y][x]);
                int r = mix((p >> 16) & 0xff, (c >> 16) & 0xff, alpha);
                int gr = mix((p >> 8) & 0xff, (c >> 8) & 0xff, alpha);
                int b = mix(p & 0xff, c & 0xff, alpha);
                out.setRGB(x, y, (r << 16) | (gr << 8) | b);
            }
        }
        return out;
    }

    private static int mix(int a, int b, double alpha) {
        return (int) Math.round(a * (1 - alpha) + b * alpha);
    }

    /**
     * Google's Turbo colour map (dark blue → green → yellow → dark red) via its published
     * polynomial fit; perceptually smoother than jet, with the same intuition.
     */
    static int turbo(float v) {
        double x = Math.max(0, Math.min(1, Float.isNaN(v) ? 0 : v));
        double r = 0.13572138 + x * (4.61539260 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
        double g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
        double b = 0.10667330 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
        return (channel(r) << 16) | (channel(g) << 8) | channel(b);
    }

    private static int channel(double v) {
        return (int) Math.round(255 * Math.max(0, Math.min(1, v)));
    }
}
