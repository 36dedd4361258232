package org.protosw.launcher;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The failures FileInstall reported (install or start of an artifact), by their message. Each
 * message names the artifact, by path or by bundle location, which is all the readiness check
 * needs: a jar of deploy/ that failed will not become ACTIVE, so it is not waited for.
 */
final class DeployFailures {

    private final List<String> messages = new CopyOnWriteArrayList<>();

    void add(String message) {
        messages.add(message);
    }

    boolean mentions(Path artifact) {
        String path = artifact.toString();
        String uri = artifact.toFile().toURI().toString(); // FileInstall names bundles by File.toURI()
        for (String message : messages) {
            if (message.contains(uri) || message.contains(path)) {
                return true;
            }
        }
        return false;
    }
}
