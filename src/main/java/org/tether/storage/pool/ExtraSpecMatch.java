package org.tether.storage.pool;

import java.util.Arrays;
import java.util.Locale;

/**
 * One extra spec's requirement against one capability, with Cinder's operators ({@code extra_specs_ops}):
 * {@code <is> True}, {@code <in>}, {@code <all-in>}, {@code <or>}, numeric {@code =} (at least), {@code ==},
 * {@code !=}, {@code >=}, {@code <=}, string {@code s==}, {@code s!=}, {@code s<}, {@code s<=}, {@code s>},
 * {@code s>=}; a bare value is string equality.
 */
final class ExtraSpecMatch {
    private ExtraSpecMatch() {
    }

    static boolean matches(String capability, String requirement) {
        if (capability == null) {
            return false;
        }
        String[] words = requirement.strip().split("\\s+");
        if (words.length < 2) {
            return capability.equals(requirement.strip());
        }
        String op = words[0];
        String rest = requirement.strip().substring(op.length()).strip();
        return switch (op) {
            case "<is>" -> Boolean.parseBoolean(capability) == Boolean.parseBoolean(rest)
                    && isBoolean(capability);
            case "<in>" -> capability.contains(rest);
            case "<all-in>" -> Arrays.stream(rest.split("\\s+")).allMatch(capability::contains);
            case "<or>" -> Arrays.stream(rest.split("\\s*<or>\\s*")).anyMatch(capability::equals);
            case "=" -> number(capability) >= number(rest);
            case "==" -> number(capability) == number(rest);
            case "!=" -> number(capability) != number(rest);
            case ">=" -> number(capability) >= number(rest);
            case "<=" -> number(capability) <= number(rest);
            case "s==" -> capability.equals(rest);
            case "s!=" -> !capability.equals(rest);
            case "s<" -> capability.compareTo(rest) < 0;
            case "s<=" -> capability.compareTo(rest) <= 0;
            case "s>" -> capability.compareTo(rest) > 0;
            case "s>=" -> capability.compareTo(rest) >= 0;
            default -> capability.equals(requirement.strip());
        };
    }

    private static boolean isBoolean(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        return l.equals("true") || l.equals("false");
    }

    private static double number(String s) {
        try {
            return Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
            return Double.NaN; // never equal, never ordered: the requirement fails
        }
    }
}
