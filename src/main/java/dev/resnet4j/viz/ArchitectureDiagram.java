package dev.resnet4j.viz;

import dev.resnet4j.io.AtomicFiles;
import dev.resnet4j.models.BasicBlock;
import dev.resnet4j.models.Bottleneck;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.Conv2d;
import dev.resnet4j.nn.Flatten;
import dev.resnet4j.nn.Module;
import dev.resnet4j.nn.Sequential;
import dev.resnet4j.tensor.Tensor;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A top-to-bottom diagram of a ResNet: the stem, every block of the four stages with its
 * convolutions and its shortcut drawn as a side arrow, and the head, with the tensor shape
 * on every edge. Shapes come from the modules' {@code outputShape}, so the picture is the
 * model's own account of itself, for any depth and input size (docs: the seed's "Tensor
 * shape progression").
 *
 * <p>The layout is computed once as a list of boxes, arrows and labels; one renderer writes
 * them as SVG text and another paints them with Java2D for PNG, so both show the same thing.
 */
public final class ArchitectureDiagram {
    // Geometry (px). The main column holds the boxes; shapes sit left of the arrows, shortcut
    // lanes and their labels right of the boxes, stage titles in the left margin.
    private static final int MARGIN = 20;
    private static final int BOX_X = 190;
    private static final int BOX_W = 440;
    private static final int CX = BOX_X + BOX_W / 2;
    private static final int OP_H = 30;
    private static final int EDGE_H = 38;
    private static final int LINE_H = 18;
    private static final int LANE_X = BOX_X + BOX_W + 28;
    private static final int WIDTH = LANE_X + 190;

    private static final String CONV = "#dbe9f6";
    private static final String NORM = "#fdf3d0";
    private static final String ACT = "#dff2dc";
    private static final String POOL = "#ece2f4";
    private static final String HEAD = "#fde0c8";
    private static final String IO = "#eeeeee";
    private static final String BLOCK = "#f7fbff";
    private static final String INK = "#222222";
    private static final String SHAPE_INK = "#555555";
    private static final String SHORTCUT_INK = "#b04020";

    private ArchitectureDiagram() {
    }

    /** What the diagram is made of; both renderers understand exactly these three. */
    sealed interface Item permits Box, Arrow, Label {
    }

    record Box(double x, double y, double w, double h, String fill, String stroke, boolean dashed) implements Item {
    }

    /** A polyline with an arrowhead at its last point. */
    record Arrow(double[] xs, double[] ys, String stroke) implements Item {
    }

    /** Text at a baseline; anchor is "start", "middle" or "end"; cssClass tags it for tests and styling. */
    record Label(double x, double y, String text, int size, boolean bold, boolean mono, String anchor, String color,
                 String cssClass) implements Item {
    }

    /**
     * Writes the diagram for {@code model} fed an input of {@code inputShape} [N, C, H, W].
     * A {@code .svg} path gets the SVG; a {@code .png} path gets the PNG and an SVG beside it.
     *
     * @return the files written
     */
    public static List<Path> write(ResNet model, int[] inputShape, Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean png = name.endsWith(".png");
        if (!png && !name.endsWith(".svg")) {
            throw new IllegalArgumentException("diagram file must end with .svg or .png, got " + file);
        }
        Layout layout = layout(model, inputShape);
        Path svg = png ? Images.sibling(file, ".svg") : file;
        Path parent = svg.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        AtomicFiles.write(svg, toSvg(layout).getBytes(StandardCharsets.UTF_8));
        if (!png) {
            return List.of(svg);
        }
        Images.writePng(toImage(layout), file);
        return List.of(file, svg);
    }

    /** The diagram as SVG text. */
    public static String svg(ResNet model, int[] inputShape) {
        return toSvg(layout(model, inputShape));
    }

    record Layout(List<Item> items, int width, int height) {
    }

    // ---------------------------------------------------------------- layout

    /** Builds the items top-down, carrying the current y and the current tensor shape. */
    private static final class Builder {
        final List<Item> items = new ArrayList<>();
        double y;

        void op(String text, String fill) {
            items.add(new Box(BOX_X, y, BOX_W, OP_H, fill, INK, false));
            items.add(new Label(CX, y + OP_H / 2.0 + 5, text, 13, false, false, "middle", INK, "op"));
            y += OP_H;
        }

        /** An arrow down from the current y with the shape beside it; returns the arrow's top y. */
        double edge(int[] shape) {
            double top = y;
            items.add(new Arrow(new double[]{CX, CX}, new double[]{top, top + EDGE_H}, INK));
            items.add(new Label(CX - 10, top + EDGE_H / 2.0 + 5, Tensor.shapeString(shape), 12, false, true, "end",
                    SHAPE_INK, "shape"));
            y += EDGE_H;
            return top;
        }
    }

    static Layout layout(ResNet model, int[] inputShape) {
        if (inputShape.length != 4 || inputShape[1] != model.inChannels()) {
            throw new IllegalArgumentException("input shape must be [N, " + model.inChannels() + ", H, W], got "
                    + Arrays.toString(inputShape));
        }
        Builder b = new Builder();
        b.y = MARGIN;
        int depth = depth(model);
        b.items.add(new Label(MARGIN, b.y + 16, "ResNet-" + depth + "  ·  " + blockName(model) + " × "
                + Arrays.toString(model.layers) + "  ·  " + String.format(Locale.ROOT, "%,d", model.parameterCount())
                + " parameters", 16, true, false, "start", INK, "title"));
        b.y += 40;

        int[] s = inputShape.clone();
        b.op("input", IO);
        b.edge(s);
        s = checked(model.conv1.outputShape(s), "conv1", inputShape);
        b.op("conv1  7×7, 64, stride 2, pad 3", CONV);
        b.edge(s);
        b.op("bn1  BatchNorm2d(64)", NORM);
        b.edge(s);
        b.op("relu", ACT);
        b.edge(s);
        s = checked(model.maxpool.outputShape(s), "maxpool", inputShape);
        b.op("maxpool  3×3, stride 2, pad 1", POOL);

        Sequential[] stages = {model.layer1, model.layer2, model.layer3, model.layer4};
        for (int st = 0; st < stages.length; st++) {
            s = stage(b, "layer" + (st + 1), stages[st], s, inputShape);
        }

        b.edge(s);
        s = model.avgpool.outputShape(s);
        b.op("avgpool  AdaptiveAvgPool2d(1×1)", POOL);
        b.edge(s);
        s = new Flatten().outputShape(s);
        b.op("flatten", IO);
        b.edge(s);
        s = model.fc.outputShape(s);
        b.op("fc  Linear(" + model.fc.inFeatures + " → " + model.fc.outFeatures + ")", HEAD);
        b.edge(s);
        b.op("logits", IO);
        return new Layout(b.items, WIDTH, (int) Math.ceil(b.y + MARGIN));
    }

    /** A stage's frame, title and blocks; returns the shape after the stage. */
    private static int[] stage(Builder b, String name, Sequential stage, int[] s, int[] inputShape) {
        int frameIndex = b.items.size(); // the frame is inserted here once its height is known
        double titleY = b.y + EDGE_H + 12;
        int planesOut = 0;
        int stride = 1;
        for (int i = 0; i < stage.size(); i++) {
            Module block = stage.get(i);
            double edgeTop = b.edge(s);
            int[] in = s;
            s = checked(block.outputShape(s), name + "." + i, inputShape);
            if (i == 0) {
                stride = stride(block);
                planesOut = s[1];
            }
            block(b, name + "." + i, block, in, edgeTop);
        }
        double top = titleY - 18;
        double bottom = b.y + 8;
        b.items.add(frameIndex, new Box(BOX_X - 12, top, LANE_X + 170 - (BOX_X - 12), bottom - top, "none", "#8899aa", true));
        b.items.add(new Label(MARGIN, titleY, name, 15, true, false, "start", INK, "stage"));
        b.items.add(new Label(MARGIN, titleY + 18, stage.size() + " × " + simpleName(stage.get(0)), 12, false, false,
                "start", INK, "stage"));
        b.items.add(new Label(MARGIN, titleY + 34, planesOut + " channels, stride " + stride, 12, false, false,
                "start", INK, "stage"));
        return s;
    }

    /** One block: a box listing its convolutions with their output shapes, and its shortcut arrow. */
    private static void block(Builder b, String name, Module block, int[] in, double edgeTop) {
        List<String[]> lines = new ArrayList<>(); // {text, shape after it}
        if (block instanceof BasicBlock bb) {
            int[] s1 = bb.conv1.outputShape(in);
            lines.add(new String[]{conv("conv1", bb.conv1) + " → bn1 → relu", Tensor.shapeString(s1)});
            lines.add(new String[]{conv("conv2", bb.conv2) + " → bn2", Tensor.shapeString(bb.conv2.outputShape(s1))});
        } else if (block instanceof Bottleneck bn) {
            int[] s1 = bn.conv1.outputShape(in);
            int[] s2 = bn.conv2.outputShape(s1);
            lines.add(new String[]{conv("conv1", bn.conv1) + " → bn1 → relu", Tensor.shapeString(s1)});
            lines.add(new String[]{conv("conv2", bn.conv2) + " → bn2 → relu", Tensor.shapeString(s2)});
            lines.add(new String[]{conv("conv3", bn.conv3) + " → bn3", Tensor.shapeString(bn.conv3.outputShape(s2))});
        } else {
            throw new IllegalArgumentException("cannot draw block " + name + " of type " + block.getClass().getName());
        }
        lines.add(new String[]{"⊕ add shortcut → relu", ""});

        double top = b.y;
        double h = 24 + lines.size() * LINE_H + 6;
        b.items.add(new Box(BOX_X, top, BOX_W, h, BLOCK, INK, false));
        b.items.add(new Label(BOX_X + 10, top + 17, name + "  " + simpleName(block), 13, true, false, "start", INK, "block"));
        for (int i = 0; i < lines.size(); i++) {
            double base = top + 24 + (i + 1) * LINE_H - 4;
            b.items.add(new Label(BOX_X + 18, base, lines.get(i)[0], 12, false, false, "start", INK, "conv"));
            b.items.add(new Label(BOX_X + BOX_W - 10, base, lines.get(i)[1], 11, false, true, "end", SHAPE_INK, "inner-shape"));
        }
        // Shortcut: leaves the incoming edge, runs down the lane, re-enters at the add.
        double branchY = edgeTop + 10;
        double addY = top + 24 + lines.size() * LINE_H - 8;
        b.items.add(new Arrow(new double[]{CX, LANE_X, LANE_X, BOX_X + BOX_W}, new double[]{branchY, branchY, addY, addY},
                SHORTCUT_INK));
        b.items.add(new Label(LANE_X + 8, top + h / 2 + 4, shortcut(block), 12, false, false, "start", SHORTCUT_INK, "shortcut"));
        b.y += h;
    }

    private static int stride(Module block) {
        if (block instanceof BasicBlock bb) {
            return bb.stride;
        }
        if (block instanceof Bottleneck bn) {
            return bn.stride;
        }
        throw new IllegalArgumentException("cannot draw block of type " + block.getClass().getName());
    }

    private static String shortcut(Module block) {
        Module d = block.children().get("downsample");
        if (d == null) {
            return "identity";
        }
        Conv2d proj = (Conv2d) ((Sequential) d).get(0);
        return proj.kernelSize + "×" + proj.kernelSize + " conv, stride " + proj.stride + " + BN";
    }

    private static String conv(String name, Conv2d c) {
        return name + "  " + c.kernelSize + "×" + c.kernelSize + ", " + c.outChannels + (c.stride != 1 ? ", stride " + c.stride : "");
    }

    private static int[] checked(int[] shape, String where, int[] input) {
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("input " + Arrays.toString(input) + " is too small: after " + where
                        + " the shape is " + Arrays.toString(shape));
            }
        }
        return shape;
    }

    private static int depth(ResNet model) {
        int convsPerBlock = model.block.expansion == 1 ? 2 : 3;
        return Arrays.stream(model.layers).sum() * convsPerBlock + 2;
    }

    private static String blockName(ResNet model) {
        return model.block.expansion == 1 ? "BasicBlock" : "Bottleneck";
    }

    private static String simpleName(Module m) {
        return m.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- SVG

    static String toSvg(Layout layout) {
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
                layout.width(), layout.height(), layout.width(), layout.height()));
        sb.append("<defs><marker id=\"head-sc\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
                + "orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" + SHORTCUT_INK + "\"/></marker>"
                + "<marker id=\"head-main\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
                + "orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" + INK + "\"/></marker></defs>\n");
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", layout.width(), layout.height()));
        for (Item item : layout.items()) {
            if (item instanceof Box r) {
                sb.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"5\" fill=\"%s\" stroke=\"%s\"%s/>\n",
                        r.x(), r.y(), r.w(), r.h(), r.fill(), r.stroke(), r.dashed() ? " stroke-dasharray=\"6 4\"" : ""));
            } else if (item instanceof Arrow a) {
                StringBuilder pts = new StringBuilder();
                for (int i = 0; i < a.xs().length; i++) {
                    pts.append(String.format(Locale.ROOT, "%s%.1f,%.1f", i == 0 ? "" : " ", a.xs()[i], a.ys()[i]));
                }
                String marker = a.stroke().equals(SHORTCUT_INK) ? "head-sc" : "head-main";
                sb.append(String.format(Locale.ROOT,
                        "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" marker-end=\"url(#%s)\"/>\n",
                        pts, a.stroke(), marker));
            } else if (item instanceof Label t) {
                sb.append(String.format(Locale.ROOT,
                        "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" font-size=\"%d\"%s%s text-anchor=\"%s\" fill=\"%s\">%s</text>\n",
                        t.cssClass(), t.x(), t.y(), t.size(), t.bold() ? " font-weight=\"bold\"" : "",
                        t.mono() ? " font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\"" : "",
                        t.anchor(), t.color(), escape(t.text())));
            }
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    // ---------------------------------------------------------------- PNG

    static BufferedImage toImage(Layout layout) {
        BufferedImage img = new BufferedImage(layout.width(), layout.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, layout.width(), layout.height());
        for (Item item : layout.items()) {
            if (item instanceof Box r) {
                var shape = new RoundRectangle2D.Double(r.x(), r.y(), r.w(), r.h(), 10, 10);
                if (!r.fill().equals("none")) {
                    g.setColor(Color.decode(r.fill()));
                    g.fill(shape);
                }
                g.setColor(Color.decode(r.stroke()));
                g.setStroke(r.dashed()
                        ? new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f)
                        : new BasicStroke(1f));
                g.draw(shape);
            } else if (item instanceof Arrow a) {
                paintArrow(g, a);
            } else if (item instanceof Label t) {
                g.setColor(Color.decode(t.color()));
                g.setFont(new Font(t.mono() ? Font.MONOSPACED : Font.SANS_SERIF, t.bold() ? Font.BOLD : Font.PLAIN, t.size()));
                FontMetrics fm = g.getFontMetrics();
                int w = fm.stringWidth(t.text());
                double x = switch (t.anchor()) {
                    case "middle" -> t.x() - w / 2.0;
                    case "end" -> t.x() - w;
                    default -> t.x();
                };
                g.drawString(t.text(), (float) x, (float) t.y());
            }
        }
        g.dispose();
        return img;
    }

    private static void paintArrow(Graphics2D g, Arrow a) {
        g.setColor(Color.decode(a.stroke()));
        g.setStroke(new BasicStroke(1.5f));
        int n = a.xs().length;
        Path2D.Double line = new Path2D.Double();
        line.moveTo(a.xs()[0], a.ys()[0]);
        for (int i = 1; i < n; i++) {
            line.lineTo(a.xs()[i], a.ys()[i]);
        }
        g.draw(line);
        // Head: a filled triangle 8 px long pointing along the last segment.
        double dx = a.xs()[n - 1] - a.xs()[n - 2];
        double dy = a.ys()[n - 1] - a.ys()[n - 2];
        double len = Math.hypot(dx, dy);
        if (len == 0) {
            return;
        }
        double ux = dx / len;
        double uy = dy / len;
        double tipX = a.xs()[n - 1];
        double tipY = a.ys()[n - 1];
        Path2D.Double head = new Path2D.Double();
        head.moveTo(tipX, tipY);
        head.lineTo(tipX - 8 * ux + 4 * uy, tipY - 8 * uy - 4 * ux);
        head.lineTo(tipX - 8 * ux - 4 * uy, tipY - 8 * uy + 4 * ux);
        head.closePath();
        g.fill(head);
    }
}
