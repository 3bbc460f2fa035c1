/**
 * The stolon image. Released stolon images stop at PostgreSQL 13 (v0.17.0) and the PostgreSQL 15
 * builds upstream only exist under the moving tag `sorintlab/stolon:master-pg15`, so we build our
 * own: docs/postgres/stolon-image/Dockerfile pins the stolon commit and the PostgreSQL 15 base
 * image, adds rclone for the backups, and is pushed to the private registry under this tag (the
 * tag names the stolon commit and the PostgreSQL minor, so a rebuild is a new tag and a git change).
 */
import { POSTGRES_MAJOR } from './spec';

/** stolon master commit the image is built from (last upstream commit, PostgreSQL 15 support). */
export const STOLON_COMMIT = 'bcea7a75';
/** PostgreSQL minor release of the base image (`postgres:<minor>-bookworm`). */
export const POSTGRES_MINOR = `${POSTGRES_MAJOR}.20`;
/** The image every stolon pod, the update Job and the backup Job run. */
export const STOLON_IMAGE = `registry.chataik.fr/platform/stolon:v0.17.0-${STOLON_COMMIT}-pg${POSTGRES_MINOR}`;
