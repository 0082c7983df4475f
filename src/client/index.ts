/**
 * `ts-async-kernel/client`: start a kernel and talk to it from a program or a notebook, the way
 * jupyter_client's KernelManager and BlockingKernelClient do (the CLI's `console` and `run` are
 * built on it).
 */
export { type ExecuteHandlers, type ExecuteResult, KernelClient, type RequestOptions } from "./kernel_client.js";
export { type LaunchedKernel, type LaunchOptions, launchKernel } from "./launcher.js";
export type { ConnectionInfo } from "../io/connection_file.js";
export type { Header, Message } from "../messaging/index.js";
