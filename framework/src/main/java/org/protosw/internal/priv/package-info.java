/** Rights to open what sees other bundles' traffic (raw and divert sockets, pfil hooks): priv(9). */
package org.protosw.internal.priv;
