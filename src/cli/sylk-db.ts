#!/usr/bin/env node
/**
 * `sylk-db` entry point (`sylk-db.md`): storage maintenance, see `db/main.ts`. The exit status is the
 * command's (0 success, 1 failure, 2 bad arguments).
 */
import { runSylkDb } from './db/main.js';

process.exitCode = await runSylkDb(process.argv.slice(2));
