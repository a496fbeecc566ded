export { main } from "./main.js";
export type { CliIO } from "./io.js";
export type { DoctorCheck } from "./commands/doctor.js";
