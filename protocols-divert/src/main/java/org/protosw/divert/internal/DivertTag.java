package org.protosw.divert.internal;

/**
 * The mbuf tag of a re-injected packet ({@code PACKET_TAG_DIVERT}): rule evaluation resumes
 * after rule {@code rule}, so the rule that diverted the packet does not catch it again.
 */
record DivertTag(int rule) {
}
