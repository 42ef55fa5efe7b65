import { IsOptional, Length, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'What an app knows about the device it runs on. Shown in the session list and emails; never trusted for anything else.' })
export class DeviceInput {
  @Field(() => String, { nullable: true, description: 'What the person calls the device, e.g. "Ada\'s Pixel 8" (at most 64 characters).' })
  @IsOptional()
  @Length(1, 64, { message: 'The device name must be 1 to 64 characters long.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. "Android", "iOS" (letters, digits, spaces, dots, dashes; at most 32).' })
  @IsOptional()
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,31}$/u, { message: 'The platform must be 1 to 32 letters, digits, spaces, dots or dashes.' })
  platform?: string | null;

  @Field(() => String, { nullable: true, description: 'e.g. "2.3.1" or "2.3.1+45" (at most 32 characters).' })
  @IsOptional()
  @Matches(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/, { message: 'The app version must be 1 to 32 letters, digits, dots, plus signs, dashes or underscores.' })
  appVersion?: string | null;
}
