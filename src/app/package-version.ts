import { readFileSync } from 'node:fs';
import { projectPath } from '../config/project-path.js';

export const PACKAGE_VERSION = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
