package dev.sluice.pipeline.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "demo", description = "Run Sluice on embedded source and target databases with a live write load.")
final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("demo arrives with the embedded server launcher");
    }
}
