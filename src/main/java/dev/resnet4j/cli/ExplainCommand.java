package dev.resnet4j.cli;

import dev.resnet4j.data.ByteImage;
import dev.resnet4j.data.ImageDecoder;
import dev.resnet4j.data.ImagePreprocess;
import dev.resnet4j.data.Normalization;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.tensor.Tensor;
import dev.resnet4j.viz.GradCam;
import dev.resnet4j.viz.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Grad-CAM: which regions of the image drove the predicted (or a chosen) class. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Draw a Grad-CAM heat-map over an image: which regions drove the predicted class.")
final class ExplainCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Mixin
    CommonOptions common;

    @Mixin
    WeightsOption weightsOption;
    @Option(names = "--class", description = "Explain this class index instead of the predicted one.")
    Integer targetClass;
    @Option(names = "--labels", description = "Class names, one per line.")
    Path labels;
    @Option(names = {"--output", "-o"}, description = "PNG to write (default: IMAGE-gradcam.png).")
    Path output;
    @Option(names = "--size", description = "Side the image is resized to (default: 224 for RGB, 28 for grayscale).")
    Integer size;
    @Parameters(index = "0", paramLabel = "IMAGE", description = "PNG or JPEG file.")
    Path image;

    @Override
    public Integer call() throws Exception {
        common.apply();
        if (targetClass != null && (targetClass < 0 || targetClass >= model.numClasses)) {
            throw new IllegalArgumentException("--class " + targetClass + " is out of range: the model has " + model.numClasses
                    + " classes (0.." + (model.numClasses - 1) + ")");
        }
        ResNet m = model.load(weightsOption.path);
        int c = m.inChannels();
        int side = size != null ? size : c == 3 ? 224 : 28;
        Normalization norm = c == 3 ? Normalization.IMAGENET : Normalization.FASHION_MNIST;
        ByteImage raw = ImageDecoder.read(image);
        PredictCommand.noteConversion(image, raw, c);
        ImagePreprocess shown = new ImagePreprocess(c, side, side, Normalization.NONE);
        Tensor pixels = shown.apply(raw);
        Tensor x = new ImagePreprocess(c, side, side, norm).apply(raw);
        GradCam.Result r = GradCam.compute(m, x, targetClass == null ? -1 : targetClass, GradCam.defaultStage(m, side, side));
        List<String> names = labels == null ? null : PredictCommand.readLabels(labels, model.numClasses);
        String label = names == null ? "class " + r.targetClass() : names.get(r.targetClass());
        Path out = output != null ? output : TrainCommand.siblingOf(image, "-gradcam.png");
        GradCam.overlay(Images.fromTensor(pixels, 0), r.cam(), "Grad-CAM: " + label, out);
        System.out.println("explained " + label + " (predicted class " + r.predictedClass() + "); wrote " + out);
        return 0;
    }
}
