package dev.resnet4j.cli;

import dev.resnet4j.data.DataLoader;
import dev.resnet4j.data.DataSpec;
import dev.resnet4j.data.Dataset;
import dev.resnet4j.models.ResNet;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** Where training and evaluation data come from. */
final class DataOptions {
    @Option(names = {"--data", "--dataset"}, required = true, paramLabel = "SPEC",
            description = "fashion-mnist, fashion-mnist-subset, mnist, cifar10:DIR, folder:DIR or npy:X.npy,y.npy[;Xtest.npy,ytest.npy]")
    String spec;

    @Option(names = "--data-dir", description = "Where to look for (and download) fashion-mnist / mnist first.")
    Path dataDir;

    @Option(names = "--image-size", defaultValue = "224", description = "Side that folder: images are resized to (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--offline", description = "Never download; use local files only.")
    boolean offline;

    /** Loads the data and checks that it fits {@code model}: its channels, and no label beyond the model's classes. */
    DataSpec.Splits open(ResNet model) throws IOException {
        int channels = model.inChannels();
        DataSpec.Options o = DataSpec.Options.defaults().withDataDir(dataDir).withDownload(!offline).withImages(channels, imageSize);
        DataSpec.Splits s = DataSpec.parse(spec).open(o);
        check(s.train(), channels, model.numClasses);
        if (s.test() != null) {
            check(s.test(), channels, model.numClasses);
        }
        return s;
    }

    private void check(Dataset d, int channels, int classes) {
        if (d.numClasses() > classes) {
            throw new IllegalArgumentException("data " + spec + " has " + d.numClasses() + " classes (labels up to "
                    + (d.numClasses() - 1) + ") but the model has " + classes + "; set --num-classes " + d.numClasses());
        }
        if (d.channels() != channels) {
            throw new IllegalArgumentException("data " + spec + " has " + d.channels() + "-channel images but the model takes "
                    + channels + (channels == 3 ? "; add --grayscale for a 1-channel model" : "; drop --grayscale"));
        }
    }

    static DataLoader testLoader(DataSpec.Splits s, int batchSize) {
        return s.test() == null ? null : DataLoader.builder(s.test()).batchSize(batchSize).shuffle(false)
                .normalization(s.normalization()).build();
    }
}
