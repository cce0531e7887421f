/**
 * Errors shared by every Petrel bundle.
 */
@Export
@Version("1.0.0")
package dev.petrel.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
