package org.protosw.internal.shell;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a package requirement asks for, read back from the filter the framework made of its
 * Import-Package clause ({@code (&(osgi.wiring.package=P)(version>=2.0.0)(!(version>=3.0.0)))}),
 * in the interval notation the clause was written in ({@code [2.0.0,3.0.0)}), so that
 * {@code net:diag} can say which version a bundle needs beside the one offered.
 */
record PackageNeed(String pkg, String range) {
    private static final Pattern NAME = Pattern.compile("\\(osgi\\.wiring\\.package=([^)]+)\\)");
    private static final Pattern NOT_AT_LEAST = Pattern.compile("\\(!\\(version>=([^)]+)\\)\\)");
    private static final Pattern NOT_AT_MOST = Pattern.compile("\\(!\\(version<=([^)]+)\\)\\)");
    private static final Pattern AT_LEAST = Pattern.compile("\\(version>=([^)]+)\\)");
    private static final Pattern AT_MOST = Pattern.compile("\\(version<=([^)]+)\\)");
    private static final Pattern EXACTLY = Pattern.compile("\\(version=([^)]+)\\)");

    /** The package and range of a package requirement's filter; empty when it names no package. */
    static Optional<PackageNeed> of(String filter) {
        if (filter == null) {
            return Optional.empty();
        }
        Matcher name = NAME.matcher(filter);
        if (!name.find()) {
            return Optional.empty();
        }
        String rest = filter.substring(0, name.start()) + filter.substring(name.end());
        String upperOpen = group(NOT_AT_LEAST, rest);
        rest = NOT_AT_LEAST.matcher(rest).replaceAll("");
        String lowerOpen = group(NOT_AT_MOST, rest);
        rest = NOT_AT_MOST.matcher(rest).replaceAll("");
        String lower = group(AT_LEAST, rest);
        String upper = group(AT_MOST, rest);
        String exact = group(EXACTLY, rest);
        String range;
        if (exact != null) {
            range = "[" + exact + "," + exact + "]";
        } else if (lower == null && lowerOpen == null && upper == null && upperOpen == null) {
            range = "(any version)";
        } else if (upper == null && upperOpen == null) {
            range = lower != null ? lower + " or later" : "above " + lowerOpen;
        } else {
            String from = lower != null ? "[" + lower : lowerOpen != null ? "(" + lowerOpen : "[0.0.0";
            String to = upper != null ? upper + "]" : upperOpen + ")";
            range = from + "," + to;
        }
        return Optional.of(new PackageNeed(name.group(1), range));
    }

    private static String group(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? m.group(1) : null;
    }
}
