import { z } from "zod";

export const SpaceKind = z.enum(["FABRIQUE", "SATELLITE"]);
export type SpaceKind = z.infer<typeof SpaceKind>;

export const SpaceStatus = z.enum(["OPEN", "CLOSED"]);
export type SpaceStatus = z.infer<typeof SpaceStatus>;

/** INSEE commune code: 5 characters, Corsica uses 2A/2B. */
export const CommuneCode = z
  .string()
  .regex(/^(\d{5}|2[AB]\d{3})$/, "an INSEE commune code such as 07186");

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time HH:MM");

/** One opening slot in the week; day 1 is Monday, 7 is Sunday (ISO 8601). */
export const OpeningSlot = z
  .object({ day: z.number().int().min(1).max(7), opens: Time, closes: Time })
  .refine((slot) => slot.opens < slot.closes, "opens must be before closes");
export type OpeningSlot = z.infer<typeof OpeningSlot>;

export const OpeningHours = z.array(OpeningSlot).max(50);

/** No control characters (NUL and the like cannot be stored) and well-formed Unicode. */
const cleanText = (value: string) => !/\p{Cc}/u.test(value) && value.isWellFormed();

export const SpaceName = z
  .string()
  .trim()
  .min(2, "at least 2 characters")
  .max(120)
  .refine(cleanText, "no control characters");

/** Services a place offers; free labels, normalised to lower case. */
export const Services = z
  .array(z.string().trim().toLowerCase().min(1).max(60).refine(cleanText, "no control characters"))
  .max(30)
  .transform((list) => [...new Set(list)]);

export const CreateSpaceInput = z.object({
  name: SpaceName,
  communeCode: CommuneCode,
  services: Services.default([]),
  openingHours: OpeningHours.default([]),
});
export type CreateSpaceInput = z.infer<typeof CreateSpaceInput>;

export const UpdateSpaceInput = z.object({
  name: SpaceName.optional(),
  communeCode: CommuneCode.optional(),
  services: Services.optional(),
  openingHours: OpeningHours.optional(),
});
export type UpdateSpaceInput = z.infer<typeof UpdateSpaceInput>;
